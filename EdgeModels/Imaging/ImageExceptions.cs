namespace Edge.Models.Imaging;

/// <summary>An image could not be decoded; the message says what is wrong with the input.</summary>
public class ImageDecodeException : Exception
{
    public ImageDecodeException(string message) : base(message) { }
    public ImageDecodeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>An image could not be encoded or written.</summary>
public class ImageEncodeException : Exception
{
    public ImageEncodeException(string message) : base(message) { }
    public ImageEncodeException(string message, Exception? innerException) : base(message, innerException) { }
}

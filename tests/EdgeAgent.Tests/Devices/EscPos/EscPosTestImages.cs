using Edge.Agent.Devices;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Devices.EscPos;

internal static class EscPosTestImages
{
    /// <summary>Random dots plus a solid border, so a lost, shifted or flipped row or column shows.</summary>
    public static Bitmap1 Pattern(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        var bitmap = new Bitmap1(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap[x, y] = x == 0 || y == 0 || x == width - 1 || y == height - 1 || random.Next(3) == 0;
        return bitmap;
    }

    /// <summary>Asserts the top-left of <paramref name="page"/> holds exactly <paramref name="image"/> and the rest of those rows is white.</summary>
    public static void AssertPrintedAt(Bitmap1 image, Bitmap1 page, int top = 0)
    {
        Assert.True(page.Height >= top + image.Height, $"page has {page.Height} rows, image needs {top + image.Height}");
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < page.Width; x++)
            {
                bool expected = x < image.Width && image[x, y];
                if (page[x, top + y] != expected) Assert.Fail($"dot ({x},{y}) is {(page[x, top + y] ? "black" : "white")}, expected {(expected ? "black" : "white")}");
            }
    }

    public static bool RowsAreWhite(Bitmap1 page, int from, int to)
    {
        for (int y = from; y < to; y++)
            foreach (byte b in page.Row(y))
                if (b != 0) return false;
        return true;
    }
}

/// <summary>Keeps everything written, answers nothing: for checking the bytes a driver sends.</summary>
internal sealed class RecordingChannel : IByteChannel
{
    public List<byte> Written { get; } = [];
    public string Description => "recording channel";
    public void Write(ReadOnlySpan<byte> data) => Written.AddRange(data.ToArray());
    public void Flush() { }
    public int Read(Span<byte> buffer, TimeSpan timeout) => 0;
    public void Dispose() { }
}

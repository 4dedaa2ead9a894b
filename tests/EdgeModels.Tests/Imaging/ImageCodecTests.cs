using Edge.Models.Imaging;

namespace Edge.Models.Tests.Imaging;

public sealed class ImageCodecTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edge-imaging-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Decode_tells_png_from_jpeg_by_their_magic_bytes()
    {
        using var original = TestImages.Gradient(32, 24, PixelFormat.Rgb24);
        using var decoded = new ImageBuffer();
        ImageCodec.Decode(PngCodec.Encode(original), decoded, PixelFormat.Bgr24);
        Assert.Equal(PixelFormat.Bgr24, decoded.Format);
        using var expected = new ImageBuffer();
        ImageOps.ConvertFormat(original, expected, PixelFormat.Bgr24);
        TestImages.AssertSamePixels(expected, decoded);

        ImageCodec.Decode(JpegCodec.Encode(original), decoded);
        Assert.Equal((32, 24, PixelFormat.Rgb24), (decoded.Width, decoded.Height, decoded.Format));
        Assert.True(TestImages.MeanAbsoluteError(original, decoded) < 2);
    }

    [Fact]
    public void Gif_header_random_bytes_and_empty_input_are_named_as_not_png_or_jpeg()
    {
        using var target = new ImageBuffer();
        var gif = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode("GIF89a\x10\0\x10\0"u8, target));
        Assert.Equal("not a PNG or JPEG (starts with 47 49 46 38)", gif.Message);
        var random = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode([0x00, 0x01, 0x02], target));
        Assert.Equal("not a PNG or JPEG (starts with 00 01 02)", random.Message);
        var empty = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode([], target));
        Assert.Equal("empty input: not a PNG or JPEG", empty.Message);
    }

    [Fact]
    public void Load_of_a_missing_file_names_the_file()
    {
        string path = Path.Combine(_folder, "nowhere.png");
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Load(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void Load_of_a_corrupt_file_names_the_file_and_the_problem()
    {
        string path = Path.Combine(_folder, "broken.png");
        using (var image = TestImages.Gradient(20, 20, PixelFormat.Rgb24))
        {
            var png = PngCodec.Encode(image);
            png[45] ^= 0xFF; // inside IDAT's data
            File.WriteAllBytes(path, png);
        }
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Load(path));
        Assert.StartsWith($"{path}: PNG CRC mismatch in chunk", e.Message);
        Assert.IsType<ImageDecodeException>(e.InnerException);

        string jpegPath = Path.Combine(_folder, "broken.jpg");
        File.WriteAllBytes(jpegPath, [0xFF, 0xD8, 0xFF, 0xE0, 0x00]);
        e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Load(jpegPath, new ImageBuffer()));
        Assert.StartsWith($"{jpegPath}: JPEG decode failed: ", e.Message);
    }

    [Theory]
    [InlineData("snapshot.png")]
    [InlineData("snapshot.PNG")]
    [InlineData("snapshot.jpg")]
    [InlineData("snapshot.jpeg")]
    public void Save_picks_the_format_from_the_extension_and_Load_reads_it_back(string name)
    {
        string path = Path.Combine(_folder, name);
        using var original = TestImages.Gradient(40, 30, PixelFormat.Rgb24);
        ImageCodec.Save(path, original);
        Assert.False(File.Exists(path + ".partial"));
        using var loaded = ImageCodec.Load(path);
        if (name.EndsWith("png", StringComparison.OrdinalIgnoreCase))
            TestImages.AssertSamePixels(original, loaded);
        else
            Assert.True(TestImages.MeanAbsoluteError(original, loaded) < 2);
    }

    [Fact]
    public void Save_with_an_unknown_extension_names_the_file()
    {
        string path = Path.Combine(_folder, "snapshot.bmp");
        using var image = TestImages.Gradient(4, 4, PixelFormat.Rgb24);
        var e = Assert.Throws<ImageEncodeException>(() => ImageCodec.Save(path, image));
        Assert.Equal($"{path}: cannot tell the format from the extension '.bmp' (use .png, .jpg or .jpeg)", e.Message);
        Assert.False(File.Exists(path));
    }
}

using Edge.Models.Text;

namespace Edge.Models.Tests.Text;

public class FontLocatorTests
{
    [Theory]
    [InlineData("wqy-microhei.ttc", "fonts-wqy-microhei")]
    [InlineData("ukai.ttc", "fonts-arphic-ukai")]
    public void Finds_an_installed_font_by_file_name(string fileName, string package)
    {
        var path = FontLocator.Find(fileName, package);
        Assert.True(File.Exists(path));
        Assert.Equal(fileName, Path.GetFileName(path));
    }

    [Fact]
    public void A_missing_font_error_names_the_file_the_folders_and_the_Debian_package()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FontLocator.Find("edge-no-such-font.ttc", "fonts-edge-missing"));
        Assert.Contains("edge-no-such-font.ttc", error.Message);
        Assert.Contains("install fonts-edge-missing", error.Message);
        Assert.Contains("/usr/share/fonts", error.Message);
        Assert.Equal("edge-no-such-font.ttc", error.FileName);
    }
}

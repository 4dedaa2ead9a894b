using Edge.Models.Interop.Onnx;
using Edge.Models.Onnx;

namespace Edge.Models.Tests.Onnx;

public class OnnxRuntimeTests
{
    [Fact]
    public void Runtime_reports_version_1_30_its_path_build_info_and_the_cpu_provider()
    {
        Assert.StartsWith("1.30.", OnnxRuntime.Version);
        Assert.True(File.Exists(OnnxRuntime.LibraryPath));
        Assert.StartsWith("ORT Build Info", OnnxRuntime.BuildInfo);
        Assert.Contains("CPUExecutionProvider", OnnxRuntime.AvailableProviders());
    }

    [Fact]
    public void Initializing_again_with_another_library_is_refused()
    {
        OnnxRuntime.Initialize();

        var e = Assert.Throws<InvalidOperationException>(() => OnnxRuntime.Initialize("/elsewhere/libonnxruntime.so.1"));
        Assert.Contains(OnnxRuntime.LibraryPath, e.Message);
        OnnxRuntime.Initialize(OnnxRuntime.LibraryPath); // the same one is fine
    }

    [Fact]
    public void Candidates_follow_the_search_order_and_skip_unset_settings()
    {
        var all = OnnxRuntimeLocator.Candidates("/x/lib.so", "/env/lib.so", "/app", "/cache/ort");
        Assert.Equal(["/x/lib.so", "/env/lib.so", "/app/libonnxruntime.so.1", "/cache/ort/libonnxruntime.so.1"],
            all.Select(c => c.Path));

        var unset = OnnxRuntimeLocator.Candidates(null, "", "/app", "/cache/ort");
        Assert.Equal(["/app/libonnxruntime.so.1", "/cache/ort/libonnxruntime.so.1"], unset.Select(c => c.Path));
    }

    [Fact]
    public void Locator_lists_every_place_searched_and_the_fix_when_nothing_exists()
    {
        using var app = new TempDirectory();
        using var cache = new TempDirectory();
        var candidates = OnnxRuntimeLocator.Candidates("/no/such/libonnxruntime.so.1", "/env/nothing.so", app.Path, cache.Path);

        var e = Assert.Throws<OnnxRuntimeNotFoundException>(() =>
            OnnxRuntimeLocator.Locate<OrtRuntime>(candidates, (string p, out string error) => throw new Xunit.Sdk.XunitException("nothing exists to load")));

        Assert.Equal(4, e.Searched.Count);
        Assert.Contains("/no/such/libonnxruntime.so.1 (OnnxRuntime.Initialize(libraryPath)): not found", e.Message);
        Assert.Contains("/env/nothing.so (EDGE_ORT_LIBRARY): not found", e.Message);
        Assert.Contains(Path.Combine(app.Path, "libonnxruntime.so.1"), e.Message);
        Assert.Contains(Path.Combine(cache.Path, "libonnxruntime.so.1"), e.Message);
        Assert.Contains("run scripts/setup, or set EDGE_ORT_LIBRARY to the path of libonnxruntime.so.1", e.Message);
    }

    [Fact]
    public void Locator_gives_the_dlopen_error_for_a_file_that_is_not_a_library()
    {
        using var app = new TempDirectory();
        var fake = app.File("libonnxruntime.so.1");
        File.WriteAllText(fake, "not an ELF file");
        var candidates = OnnxRuntimeLocator.Candidates(null, null, app.Path, "/no/cache");

        var e = Assert.Throws<OnnxRuntimeNotFoundException>(() =>
            OnnxRuntimeLocator.Locate<OrtRuntime>(candidates, OrtRuntime.TryLoad));

        var line = Assert.Single(e.Searched, s => s.StartsWith(fake));
        Assert.Contains("exists but did not load", line);
        Assert.EndsWith("file too short", line); // dlopen's own words, on the same line
    }
}

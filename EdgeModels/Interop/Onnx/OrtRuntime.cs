using System.Runtime.InteropServices;

namespace Edge.Models.Interop.Onnx;

/// <summary>
/// The loaded library and the process-wide objects made from it: the API table, one OrtEnv, one CPU
/// OrtMemoryInfo for input tensors, and the default allocator. Lives until the process exits: the
/// library is never unloaded because sessions may still hold threads inside it.
/// </summary>
internal sealed unsafe class OrtRuntime
{
    private OrtRuntime(string libraryPath, nint library, OrtApiBase* apiBase, OrtApi* api)
    {
        LibraryPath = libraryPath;
        Library = library;
        Version = Ort.ReadUtf8(apiBase->GetVersionString());
        Ort.SetApi(api);

        Env = new OrtEnvHandle();
        Marshal.InitHandle(Env, CreateEnvOnLargeStack(api));

        CpuMemory = new OrtMemoryInfoHandle();
        nint memoryInfo;
        Ort.ThrowIfFailed(api->CreateCpuMemoryInfo(OrtConst.ArenaAllocator, OrtConst.MemTypeDefault, &memoryInfo));
        Marshal.InitHandle(CpuMemory, memoryInfo);

        nint allocator;
        Ort.ThrowIfFailed(api->GetAllocatorWithDefaultOptions(&allocator));
        DefaultAllocator = allocator; // owned by ORT, never freed
    }

    /// <summary>
    /// ONNX Runtime 1.30's CreateEnv recurses over the process's command line: its stack use grows by about 280 bytes
    /// per character, so ~30 KB of arguments (`edge detect` given 800 image paths) overflow the main thread's 8 MB
    /// stack and kill the process (found by hand; the same in a plain C program). The env is therefore created on a
    /// thread of its own whose stack is sized from the command line (reserved, touched only as deep as it goes).
    /// </summary>
    internal static long EnvStackBytes(long commandLineChars) =>
        Math.Clamp(16L * 1024 * 1024 + 1024 * commandLineChars, 16L * 1024 * 1024, 1L << 30);

    private static nint CreateEnvOnLargeStack(OrtApi* api)
    {
        long chars = 0;
        foreach (var arg in Environment.GetCommandLineArgs()) chars += System.Text.Encoding.UTF8.GetByteCount(arg) + 1;
        nint env = 0;
        nint status = 0;
        var thread = new Thread(() =>
        {
            nint e;
            fixed (byte* logId = "edge"u8)
                status = api->CreateEnv(OrtConst.LoggingLevelWarning, logId, &e);
            env = status == 0 ? e : 0;
        }, (int)EnvStackBytes(chars)) { Name = "ort-create-env", IsBackground = true };
        thread.Start();
        thread.Join();
        Ort.ThrowIfFailed(status);
        return env;
    }

    public string LibraryPath { get; }
    public nint Library { get; }
    public string Version { get; }
    public OrtEnvHandle Env { get; }
    public OrtMemoryInfoHandle CpuMemory { get; }
    public nint DefaultAllocator { get; }

    public string BuildInfo => Ort.ReadUtf8(Ort.Api->GetBuildInfoString());

    private readonly Lock _arenaLock = new();
    private bool _sharedArena;

    /// <summary>
    /// Registers, once, a CPU arena on the env that every session asking for env allocators shares, so the
    /// three OCR sessions (and a detector) reuse one pool of buffers instead of each keeping its own.
    /// `edge bench ocr` (52 cards of many sizes): peak RSS 340 MB with per-session arenas, 313 MB shared
    /// (kNextPowerOfTwo), 446 MB shared with kSameAsRequested (it piles up one region per new size).
    /// </summary>
    public void EnsureSharedArena()
    {
        lock (_arenaLock)
        {
            if (_sharedArena) return;
            var api = Ort.Api;
            nint cfg;
            fixed (byte* strategy = "arena_extend_strategy"u8)
            {
                byte** keys = stackalloc byte*[1];
                nuint* values = stackalloc nuint[1];
                keys[0] = strategy;
                values[0] = 0; // kNextPowerOfTwo: measured below kSameAsRequested (many small regions) and per-session arenas
                Ort.ThrowIfFailed(api->CreateArenaCfgV2(keys, values, 1, &cfg));
            }
            try
            {
                Ort.ThrowIfFailed(api->CreateAndRegisterAllocator(Env.DangerousGetHandle(), CpuMemory.DangerousGetHandle(), cfg));
            }
            finally
            {
                api->ReleaseArenaCfg(cfg);
            }
            _sharedArena = true;
        }
    }

    /// <summary>
    /// Loads the library at <paramref name="path"/> and binds API version 30; on failure returns null
    /// with the reason (the dlopen error, a missing export, or a library older than 1.30).
    /// </summary>
    public static OrtRuntime? TryLoad(string path, out string error)
    {
        if (!Environment.Is64BitProcess)
            throw new PlatformNotSupportedException("the ONNX Runtime binding supports 64-bit processes only");

        nint library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            error = e.Message.ReplaceLineEndings(" ").Trim(); // .NET puts dlerror() on a line of its own
            return null;
        }

        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
        {
            NativeLibrary.Free(library);
            error = "no OrtGetApiBase export: not an ONNX Runtime library";
            return null;
        }

        var apiBase = ((delegate* unmanaged<OrtApiBase*>)getApiBase)();
        var api = apiBase->GetApi(OrtConst.ApiVersion); // asked once: a refused version prints to stderr
        if (api == null)
        {
            var version = Ort.ReadUtf8(apiBase->GetVersionString());
            NativeLibrary.Free(library);
            error = $"ONNX Runtime {version} is older than 1.30 (GetApi({OrtConst.ApiVersion}) returned null)";
            return null;
        }

        error = "";
        return new OrtRuntime(path, library, apiBase, api);
    }

    public IReadOnlyList<string> AvailableProviders()
    {
        byte** names;
        int count;
        Ort.ThrowIfFailed(Ort.Api->GetAvailableProviders(&names, &count));
        try
        {
            var result = new string[count];
            for (int i = 0; i < count; i++) result[i] = Ort.ReadUtf8(names[i]);
            return result;
        }
        finally
        {
            Ort.ThrowIfFailed(Ort.Api->ReleaseAvailableProviders(names, count));
        }
    }
}

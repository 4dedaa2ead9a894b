using Edge.Models.Imaging;

namespace Edge.Agent.Inspection;

/// <summary>
/// Keeps JPEG snapshots of defective parts in one folder with retention: at most <c>maxFiles</c>, none older than
/// <c>maxAge</c>; the oldest go first. File names start with the UTC time, so name order is age order and a restart
/// picks up what is already there. Paths handed out are relative to the folder (what the MQTT event carries).
/// </summary>
public sealed class SnapshotStore
{
    private readonly Queue<(string Name, DateTimeOffset At)> _files = new();
    private readonly int _maxFiles;
    private readonly TimeSpan _maxAge;

    /// <exception cref="IOException">the folder is a file, or cannot be created or read; the message names it.</exception>
    public SnapshotStore(string folder, int maxFiles, TimeSpan maxAge)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        Folder = folder;
        _maxFiles = maxFiles;
        _maxAge = maxAge;
        EnsureFolder(folder);
        try
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                _files.Enqueue((name, TryParseTime(name) ?? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"snapshot folder {folder} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Creates <paramref name="folder"/> (and its parents) where it is missing.</summary>
    /// <exception cref="IOException">it is a file, or cannot be created (no such parent, no permission); the message names it.</exception>
    public static void EnsureFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (File.Exists(folder)) throw new IOException($"snapshot folder {folder} is a file, not a folder");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"snapshot folder {folder} cannot be created: {e.Message}", e);
        }
    }

    public string Folder { get; }
    public int Count => _files.Count;
    public long Deleted { get; private set; }

    /// <summary>Writes <paramref name="image"/> for part <paramref name="partId"/> taken at <paramref name="at"/>, prunes, and returns the path relative to <see cref="Folder"/>.</summary>
    public string Save(ImageBuffer image, long partId, DateTimeOffset at, int jpegQuality = 85)
    {
        var name = NameFor(partId, at);
        Write(name, image, at, jpegQuality);
        return name;
    }

    /// <summary>The file name (relative to <see cref="Folder"/>) of part <paramref name="partId"/>'s snapshot taken at <paramref name="at"/>.</summary>
    public static string NameFor(long partId, DateTimeOffset at) => $"{at.UtcDateTime:yyyyMMdd'T'HHmmss'.'fff'Z'}-part{partId:D8}.jpg";

    /// <summary>
    /// Encodes <paramref name="image"/> as <paramref name="name"/> (from <see cref="NameFor"/>), then prunes. The folder is
    /// not created again: a removed folder fails the write. Not thread-safe: one writer at a time.
    /// </summary>
    /// <exception cref="ImageEncodeException">the file could not be written (the message names the path).</exception>
    public void Write(string name, ImageBuffer image, DateTimeOffset at, int jpegQuality = 85)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(image);
        ImageCodec.Save(Path.Combine(Folder, name), image, jpegQuality);
        _files.Enqueue((name, at));
        Prune(at);
    }

    /// <summary>Deletes the oldest snapshots beyond the file limit and every one older than the age limit at <paramref name="now"/>.</summary>
    public void Prune(DateTimeOffset now)
    {
        while (_files.Count > 0 && (_files.Count > _maxFiles || now - _files.Peek().At > _maxAge))
        {
            var (name, _) = _files.Dequeue();
            try { File.Delete(Path.Combine(Folder, name)); }
            catch (IOException) { } // already gone, or held open: it is no longer ours to keep
            Deleted++;
        }
    }

    private static DateTimeOffset? TryParseTime(string name) =>
        name.Length >= 20 && DateTimeOffset.TryParseExact(name.AsSpan(0, 20), "yyyyMMdd'T'HHmmss'.'fff'Z'".AsSpan(),
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}

using System.Collections.Concurrent;

namespace Edge.Models.Text;

/// <summary>
/// Finds installed font files by file name, the way fontconfig would place them, without
/// depending on fontconfig: <c>$EDGE_FONT_DIR</c> (a <c>:</c>-separated list) first, then the
/// per-user and system font folders, each searched recursively.
/// </summary>
public static class FontLocator
{
    private static readonly ConcurrentDictionary<string, string> Found = new(StringComparer.Ordinal);   // a recursive folder walk per renderer would be wasteful

    /// <summary>The folders searched, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories
    {
        get
        {
            var dirs = new List<string>();
            var explicitDirs = Environment.GetEnvironmentVariable("EDGE_FONT_DIR");
            if (!string.IsNullOrEmpty(explicitDirs))
                dirs.AddRange(explicitDirs.Split(':', StringSplitOptions.RemoveEmptyEntries));
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            dirs.Add(Path.Combine(string.IsNullOrEmpty(dataHome) ? Path.Combine(home, ".local", "share") : dataHome, "fonts"));
            dirs.Add(Path.Combine(home, ".fonts"));
            dirs.Add("/usr/local/share/fonts");
            dirs.Add("/usr/share/fonts");
            return dirs;
        }
    }

    /// <summary>
    /// The full path of <paramref name="fileName"/> (e.g. <c>wqy-microhei.ttc</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">No folder holds the file; the message names the Debian package to install.</exception>
    public static string Find(string fileName, string debianPackage)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (Found.TryGetValue(fileName, out var cached) && File.Exists(cached)) return cached;

        var dirs = SearchDirectories;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseSensitive };
        foreach (var dir in dirs)
        {
            if (!Directory.Exists(dir)) continue;
            var path = Directory.EnumerateFiles(dir, fileName, options).FirstOrDefault();
            if (path is null) continue;
            Found[fileName] = path;
            return path;
        }
        throw new FileNotFoundException(
            $"font {fileName} not found in {string.Join(", ", dirs)}: install {debianPackage} (apt-get install {debianPackage}) or set EDGE_FONT_DIR",
            fileName);
    }
}

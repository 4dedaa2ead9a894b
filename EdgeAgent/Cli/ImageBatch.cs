using System.Text.Json;
using Edge.Models.Imaging;

namespace Edge.Agent.Cli;

/// <summary>
/// The per-image loop shared by <c>edge ocr</c> and <c>edge detect</c>: each image is processed on its own; one
/// that is missing or does not decode is reported by name (and, with --json, as an <c>{"image","error"}</c> line)
/// while the others still run. Exit code 1 when any image failed or none was found.
/// </summary>
internal static class ImageBatch
{
    public static int Run<T>(string command, IReadOnlyList<string> images, bool json, TextWriter stdout, TextWriter stderr,
        Func<string, T> process, Func<string, T, string> toJson, Action<TextWriter, string, T> writeTable)
    {
        int failures = 0;
        foreach (var path in images)
        {
            T result;
            try
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
                result = process(path);
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
            {
                failures++;
                var message = e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}";
                stderr.WriteLine($"edge {command}: {message}");
                if (json) stdout.WriteLine(ErrorJson(path, message));
                continue;
            }
            if (json) stdout.WriteLine(toJson(path, result));
            else writeTable(stdout, path, result);
        }
        if (images.Count == 0) stderr.WriteLine($"edge {command}: no JPEG or PNG images found");
        return failures > 0 || images.Count == 0 ? 1 : 0;
    }

    public static string ErrorJson(string path, string message)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, OcrCommand.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("image", path);
            w.WriteString("error", message);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

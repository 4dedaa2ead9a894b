using System.Diagnostics;

namespace Edge.Agent.Tests.Support;

/// <summary>
/// A throwaway PKI made with the openssl command: a CA, a server certificate for 127.0.0.1/localhost and a client
/// certificate, all signed by the CA (EC P-256, PEM files, valid two days).
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> s_shared = new(() =>
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("edge-test-pki-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { System.IO.Directory.Delete(directory, recursive: true); } catch (IOException) { }
        };
        return Create(directory);
    });

    private TestCertificates(string directory) => Directory = directory;

    /// <summary>One set per test run, made on first use.</summary>
    public static TestCertificates Shared => s_shared.Value;

    public string Directory { get; }
    public string CaFile => Path.Combine(Directory, "ca.crt");
    public string ServerCertFile => Path.Combine(Directory, "server.crt");
    public string ServerKeyFile => Path.Combine(Directory, "server.key");
    public string ClientCertFile => Path.Combine(Directory, "client.crt");
    public string ClientKeyFile => Path.Combine(Directory, "client.key");

    public static TestCertificates Create(string directory)
    {
        var pki = new TestCertificates(directory);
        string[] ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        OpenSsl(directory, ["req", "-x509", "-new", .. ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=Edge Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        Issue(directory, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n", ec);
        Issue(directory, "client", "/CN=edge-test-client", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n", ec);
        return pki;
    }

    private static void Issue(string directory, string name, string subject, string extensions, string[] ec)
    {
        File.WriteAllText(Path.Combine(directory, $"{name}.ext"), extensions);
        OpenSsl(directory, ["req", "-new", .. ec, "-keyout", $"{name}.key", "-out", $"{name}.csr", "-subj", subject]);
        OpenSsl(directory, ["x509", "-req", "-in", $"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", $"{name}.crt", "-days", "2", "-extfile", $"{name}.ext"]);
    }

    private static void OpenSsl(string directory, string[] args)
    {
        var info = new ProcessStartInfo("openssl") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start openssl");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
    }
}

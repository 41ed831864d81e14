using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// The files of a local run in <see cref="LocalRunOptions.DataPath"/>, made on first use and read back afterwards:
/// the access key tokens are signed with when none is configured, and the HTTPS development certificate. Only the
/// user may read them (mode 600 on Unix). Two processes starting at once on the same folder end up with the same
/// files: each writes its own under a temporary name and moves it in place unless one is there already.
/// </summary>
public sealed class LocalRunFiles(IOptions<LocalRunOptions> options)
{
    /// <summary>The access key's file name.</summary>
    public const string AccessKeyFile = "access-key";

    /// <summary>The development certificate's file name (PEM), for <c>NODE_EXTRA_CA_CERTS</c>.</summary>
    public const string CertificateFile = "localhost.pem";

    /// <summary>The development certificate's private key file name (PEM).</summary>
    public const string CertificateKeyFile = "localhost.key.pem";

    private static readonly TimeSpan s_certificateLifetime = TimeSpan.FromDays(365);
    private readonly Lock _gate = new();
    private string? _accessKey;
    private X509Certificate2? _certificate;

    /// <summary>The folder.</summary>
    public string DataPath { get; } = Path.GetFullPath(options.Value.DataPath ?? LocalRunOptions.DefaultDataPath);

    /// <summary>The access key's path.</summary>
    public string AccessKeyPath => Path.Combine(DataPath, AccessKeyFile);

    /// <summary>The development certificate's path (PEM).</summary>
    public string CertificatePath => Path.Combine(DataPath, CertificateFile);

    /// <summary>The access key, made (64 hex characters) on first use.</summary>
    public string AccessKey
    {
        get
        {
            lock (_gate)
            {
                return _accessKey ??= ReadOrCreate(AccessKeyFile, () => Convert.ToHexString(RandomNumberGenerator.GetBytes(32))).Trim();
            }
        }
    }

    /// <summary>
    /// The development certificate with its private key: self-signed, for <c>localhost</c>, <c>127.0.0.1</c> and
    /// <c>::1</c>, valid a year; made again when missing or expired (within a day).
    /// </summary>
    public X509Certificate2 Certificate
    {
        get
        {
            lock (_gate)
            {
                if (_certificate is null && TryLoadCertificate() is { } existing && existing.NotAfter > DateTime.Now.AddDays(1))
                {
                    _certificate = existing;
                }

                if (_certificate is null)
                {
                    var (certificate, key) = CreateCertificate();
                    Replace(CertificateKeyFile, key);
                    Replace(CertificateFile, certificate);
                    _certificate = TryLoadCertificate() ?? throw new InvalidOperationException($"The development certificate in {DataPath} could not be read back.");
                }

                return _certificate;
            }
        }
    }

    private X509Certificate2? TryLoadCertificate()
    {
        var key = Path.Combine(DataPath, CertificateKeyFile);
        if (!File.Exists(CertificatePath) || !File.Exists(key))
        {
            return null;
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, key);
            // Through PKCS#12 so the private key is usable by TLS on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException)
        {
            return null; // damaged: made again
        }
    }

    private static (string Certificate, string Key) CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(s_certificateLifetime));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private string ReadOrCreate(string file, Func<string> create)
    {
        var path = Path.Combine(DataPath, file);
        if (!File.Exists(path))
        {
            Write(file, create(), overwrite: false);
        }

        return File.ReadAllText(path, Encoding.UTF8);
    }

    private void Replace(string file, string content) => Write(file, content, overwrite: true);

    private void Write(string file, string content, bool overwrite)
    {
        Directory.CreateDirectory(DataPath);
        var temporary = Path.Combine(DataPath, $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, create))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
        }

        try
        {
            File.Move(temporary, Path.Combine(DataPath, file), overwrite);
        }
        catch (IOException) when (!overwrite)
        {
            File.Delete(temporary); // another process made it first: its file is the one
        }
    }
}

using System.Data.Common;

namespace Jobs.Plugins.Preaggregates;

/// <summary>Keeps a source's connection string out of what is logged or published about it.</summary>
public static class ConnectionSecrets
{
    private static readonly string[] SecretKeys = ["password", "pwd"];

    /// <summary>
    /// <paramref name="message"/> with the connection string, and its password wherever it appears alone, replaced by
    /// <c>***</c>. Works for any <c>key=value;</c> connection string and for <c>scheme://user:password@host</c> URLs.
    /// </summary>
    public static string Mask(string message, string connectionString)
    {
        if (string.IsNullOrEmpty(connectionString)) return message;
        var masked = message.Replace(connectionString, Platforms.SecretMasking.Mask, StringComparison.Ordinal);
        foreach (var secret in Secrets(connectionString).Where(s => s.Length > 0))
            masked = masked.Replace(secret, Platforms.SecretMasking.Mask, StringComparison.Ordinal);
        return masked;
    }

    private static IEnumerable<string> Secrets(string connectionString)
    {
        if (Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':'))
        {
            var password = uri.UserInfo.Split(':', 2)[1];
            return [password, Uri.UnescapeDataString(password)];
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return [];
        }

        return SecretKeys.Where(builder.ContainsKey).Select(key => builder[key]?.ToString() ?? "").ToArray();
    }
}

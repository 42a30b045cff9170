using System.Text.RegularExpressions;

namespace Jobs.Plugins.Http;

/// <summary>
/// A URL as errors and logs show it: the values of query parameters whose names say they hold a secret (api keys, tokens,
/// passwords, signatures) masked, and any user information in the authority dropped.
/// </summary>
public static partial class UriDisplay
{
    public static string Shown(Uri uri)
    {
        if (!uri.IsAbsoluteUri) return uri.ToString();
        var text = string.IsNullOrEmpty(uri.UserInfo) ? uri.ToString() : new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();
        return string.IsNullOrEmpty(uri.Query) ? text : SecretQuery().Replace(text, m => $"{m.Groups[1].Value}=***");
    }

    [GeneratedRegex(@"(?<=[?&])([^=&]*(?:passw|secret|token|api[_-]?key|apikey|signature|sig|auth|key|credential)[^=&]*)=[^&#]*",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SecretQuery();
}

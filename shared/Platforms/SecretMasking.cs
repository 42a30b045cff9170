using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Jobs.Platforms;

/// <summary>Settings as they may be stored, logged or returned: secret values replaced by <see cref="Mask"/>.</summary>
public static partial class SecretMasking
{
    public const string Mask = "***";

    /// <summary>
    /// Masks the settings the platform's schema marks secret and, at any depth, every property whose name
    /// says it holds a secret (password, secret, token, api key, credentials), whatever the schema says.
    /// </summary>
    public static JsonElement Apply(JsonElement settings, PlatformDescriptor? platform)
    {
        if (settings.ValueKind != JsonValueKind.Object) return settings;
        var secrets = platform?.Settings.Where(s => s.Secret).Select(s => s.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var node = JsonNode.Parse(settings.GetRawText())!;
        MaskNode(node, secrets, topLevel: true);
        return JsonSerializer.SerializeToElement(node);
    }

    private static void MaskNode(JsonNode? node, HashSet<string> secrets, bool topLevel)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if ((topLevel && secrets.Contains(name)) || SecretName().IsMatch(name))
                    {
                        if (value is not null) obj[name] = Mask;
                    }
                    else
                    {
                        MaskNode(value, secrets, topLevel: false);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array) MaskNode(item, secrets, topLevel: false);
                break;
        }
    }

    [GeneratedRegex("passw(or)?d|secret|token|api[_-]?key|credential", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}

using Microsoft.Extensions.Options;

using Jobs.Plugins;

namespace Jobs.Integrations.Hosting;

/// <summary>The integrations this process hosts: every registered plugin, narrowed by <c>Integrations:Enabled</c>.</summary>
public sealed partial class IntegrationRegistry
{
    private readonly Dictionary<string, IIntegration> _hosted;

    public IntegrationRegistry(IEnumerable<IIntegration> integrations, IOptions<IntegrationsOptions> options)
    {
        var all = integrations.ToDictionary(i => i.Name, StringComparer.Ordinal);
        // A name is part of its queues' names (integration-<name>, integration-<name>.interactive): lower-case letters, digits and
        // hyphens only, so no name's queue can be another's interactive one.
        var invalid = all.Keys.Where(name => !PlatformName().IsMatch(name)).ToList();
        if (invalid.Count > 0)
            throw new InvalidOperationException(
                $"integration names must be lower-case letters, digits and hyphens, starting with a letter: {string.Join(", ", invalid)}");
        var enabled = options.Value.Enabled;
        var unknown = enabled.Where(name => !all.ContainsKey(name)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException(
                $"Integrations:Enabled names unknown integrations: {string.Join(", ", unknown)}; built in: {string.Join(", ", all.Keys)}");
        _hosted = enabled.Count == 0 ? all : all.Where(kv => enabled.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    public IReadOnlyCollection<IIntegration> Hosted => _hosted.Values;

    public IIntegration? Find(string platform) => _hosted.GetValueOrDefault(platform);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial System.Text.RegularExpressions.Regex PlatformName();
}

using System.Text;
using System.Text.RegularExpressions;

namespace Jobs.Plugins.Http;

/// <summary>
/// The rules of one robots.txt for one user agent (RFC 9309): the groups naming the agent's product token, else the
/// <c>*</c> group; the longest matching <c>Allow</c>/<c>Disallow</c> path wins, <c>Allow</c> on a tie; <c>*</c> matches
/// any characters and a final <c>$</c> anchors the end.
/// </summary>
public sealed class RobotsRules
{
    public static readonly RobotsRules AllowAll = new([]);

    public static readonly RobotsRules DisallowAll = new([new Rule(false, "/", Pattern("/"))]);

    /// <summary>Rule paths longer than this are ignored (no URL this client sends is that long; the automaton would only grow).</summary>
    public const int MaxRulePath = 2048;

    private readonly IReadOnlyList<Rule> _rules;

    private RobotsRules(IReadOnlyList<Rule> rules) => _rules = rules;

    private sealed record Rule(bool Allow, string Path, Regex Regex);

    public static RobotsRules Parse(string text, string userAgent)
    {
        var token = ProductToken(userAgent);
        var groups = new List<(List<string> Agents, List<Rule> Rules)>();
        (List<string> Agents, List<Rule> Rules)? group = null;
        var afterAgent = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#', 2)[0].Trim();
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var field = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (field == "user-agent")
            {
                // Consecutive user-agent lines share one group.
                if (group is null || !afterAgent)
                {
                    group = (new List<string>(), new List<Rule>());
                    groups.Add(group.Value);
                }

                group.Value.Agents.Add(value.ToLowerInvariant());
                afterAgent = true;
            }
            else if (field is "allow" or "disallow" && group is { } current)
            {
                afterAgent = false;
                // "Disallow:" with nothing allows everything: no rule. A path longer than any URL we send is no rule either.
                if (value.Length is > 0 and <= MaxRulePath) current.Rules.Add(new Rule(field == "allow", value, Pattern(value)));
            }
            else if (field == "crawl-delay")
            {
                afterAgent = false;
            }
        }

        var chosen = groups.Where(g => g.Agents.Contains(token)).ToList();
        if (chosen.Count == 0) chosen = groups.Where(g => g.Agents.Contains("*")).ToList();
        return new RobotsRules(chosen.SelectMany(g => g.Rules).ToList());
    }

    /// <summary>Whether the path and query of <paramref name="uri"/> may be fetched.</summary>
    public bool IsAllowed(Uri uri)
    {
        var target = uri.PathAndQuery;
        if (target == "/robots.txt") return true;
        Rule? best = null;
        foreach (var rule in _rules)
        {
            if (!rule.Regex.IsMatch(target)) continue;
            if (best is null || rule.Path.Length > best.Path.Length || (rule.Path.Length == best.Path.Length && rule.Allow)) best = rule;
        }

        return best?.Allow ?? true;
    }

    /// <summary>The name a robots.txt group is matched against: the User-Agent up to the first '/' or space, lower case.</summary>
    public static string ProductToken(string userAgent) =>
        userAgent.Split('/', ' ')[0].Trim().ToLowerInvariant();

    private static Regex Pattern(string path)
    {
        var anchored = path.EndsWith('$');
        var body = anchored ? path[..^1] : path;
        var pattern = new StringBuilder("^");
        foreach (var part in body.Split('*')) pattern.Append(Regex.Escape(part)).Append(".*");
        pattern.Length -= 2; // the last part has no '*' after it
        if (anchored) pattern.Append('$');
        // A remote file's rules: the linear engine and a match timeout, so no robots.txt can pin a core.
        return new Regex(pattern.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Jobs.Platforms.SafeRegex.MatchTimeout);
    }
}

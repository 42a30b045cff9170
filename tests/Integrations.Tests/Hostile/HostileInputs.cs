namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// The hostile-input tests (issue 21): request forgery, regular expressions that would backtrack for ever, oversized pages and
/// archives, runs that ignore cancellation, and a batch whose process dies every time it runs it. One collection: they run one
/// after another, so the process-level cases are not measured against each other.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class HostileInputs
{
    public const string Collection = "Hostile inputs";
}

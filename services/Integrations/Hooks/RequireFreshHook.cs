using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Jobs.Integrator.ReadModel;
using Jobs.Platforms;
using Jobs.Plugins;

namespace Jobs.Integrations.Hooks;

public sealed class RequireFreshSettings
{
    [Required, Range(1, 525_600), Description("The job is skipped when the platform's last successful run ended less than this many minutes ago.")]
    public int Minutes { get; set; }
}

/// <summary>
/// <c>require-fresh</c> (pre only): skips the job (it ends Completed with no child run, the hook listed as skipped with the reason) when the
/// platform's last successful run (Completed or CompletedWithFailures, from the Integrator's read model) ended less than <c>minutes</c> ago.
/// </summary>
public sealed class RequireFreshHook : JobHook<RequireFreshSettings>
{
    public const string HookName = "require-fresh";

    public override string Name => HookName;

    public override string Description =>
        "A pre hook: skips the run when the platform's last successful run (Completed or CompletedWithFailures) ended less than 'minutes' ago.";

    public override IReadOnlyList<string> Phases => [JobHooks.Pre];

    protected override async Task<HookResult> RunAsync(HookContext context, RequireFreshSettings settings)
    {
        var last = await RootJobReader.LastSucceededAsync(context.Redis, context.Platform);
        var now = DateTimeOffset.UtcNow;
        if (last is not { } at || now - at >= TimeSpan.FromMinutes(settings.Minutes)) return HookResult.Done;
        return HookResult.Skip($"the last successful run of {context.Platform} ended {(now - at).TotalMinutes:0.#} minutes ago, " +
                               $"within the {settings.Minutes} minutes require-fresh asks for");
    }
}

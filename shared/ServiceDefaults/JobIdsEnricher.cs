using Serilog.Core;
using Serilog.Events;

namespace Jobs.ServiceDefaults;

/// <summary>
/// Renders the <c>RootJobId</c>/<c>ChildJobId</c> scope properties into the console line as
/// <c>{JobIds}</c> (empty outside a job); Seq receives the properties themselves.
/// </summary>
public sealed class JobIdsEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var text = "";
        if (logEvent.Properties.TryGetValue("RootJobId", out var root))
        {
            text = $" root={Strip(root)}";
            if (logEvent.Properties.TryGetValue("ChildJobId", out var child))
                text += $" child={Strip(child)}";
        }

        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("JobIds", text));
    }

    private static string Strip(LogEventPropertyValue value) => value.ToString().Trim('"');
}

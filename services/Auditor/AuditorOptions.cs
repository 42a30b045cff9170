using System.ComponentModel.DataAnnotations;
using Jobs.Auditor.Audit;

namespace Jobs.Auditor;

/// <summary>The <c>Auditor</c> section: the stuck-job sweeper's deadline and period, the audit writer's batching, and the data audit rules. Validated at start.</summary>
public sealed class AuditorOptions : IValidatableObject
{
    public const string Section = "Auditor";

    /// <summary>A running root with no outcome audited and no progress reported for this long is swept.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan ChildTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the sweeper looks for stuck roots.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the first job event waiting for the audit writer waits for others to share its transaction (<see cref="AuditWriter"/>):
    /// a small job's events are written together once it has ended, off its path. Zero writes what is waiting at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan WriteWindow { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>At most this many events in one transaction (and as many consumed at once).</summary>
    [Range(1, 1_000)]
    public int WriteBatchSize { get; set; } = 32;

    /// <summary>How far a measured figure may drop between two runs of a platform (<see cref="DataAudits"/>).</summary>
    public List<DataAuditRule> DataAudits { get; set; } = [];

    /// <summary>Each data audit rule is checked with its own annotations (the options validator does not descend into lists).</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < DataAudits.Count; i++)
        {
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(DataAudits[i], new ValidationContext(DataAudits[i]), results, validateAllProperties: true)) continue;
            foreach (var result in results)
                yield return new ValidationResult($"{nameof(DataAudits)}[{i}]: {result.ErrorMessage}",
                    result.MemberNames.Select(m => $"{nameof(DataAudits)}[{i}].{m}").ToList());
        }
    }
}

using System.ComponentModel.DataAnnotations;
using Jobs.Auditor.Audit;

namespace Jobs.Auditor;

/// <summary>The <c>Auditor</c> section: the stuck-job sweeper's deadline and period, and the data audit rules. Validated at start.</summary>
public sealed class AuditorOptions : IValidatableObject
{
    public const string Section = "Auditor";

    /// <summary>A running root with no outcome audited and no progress reported for this long is swept.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan ChildTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the sweeper looks for stuck roots.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

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

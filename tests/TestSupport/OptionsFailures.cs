using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Jobs.TestSupport;

/// <summary>The messages of the options validation failures a start (or a first read of options) threw.</summary>
public static class OptionsFailures
{
    /// <summary>Runs <paramref name="start"/>, which must fail options validation; returns every failure message it reported.</summary>
    public static async Task<IReadOnlyList<string>> OfAsync(Func<Task> start)
    {
        var thrown = await Record.ExceptionAsync(start);
        var failures = Flatten(thrown).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        if (failures.Count == 0) throw new InvalidOperationException($"expected the start to fail options validation, but it {(thrown is null ? "succeeded" : "threw " + thrown)}");
        return failures;
    }

    /// <summary>Runs the start's options validation of <paramref name="services"/>, which must fail; returns its messages joined by " | ".</summary>
    public static string OfStartupValidation(IServiceProvider services)
    {
        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IStartupValidator>().Validate());
        return error is AggregateException all ? string.Join(" | ", all.InnerExceptions.Select(e => e.Message)) : error.Message;
    }

    private static IEnumerable<Exception> Flatten(Exception? exception) => exception switch
    {
        null => [],
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Flatten),
        _ => Flatten(exception.InnerException).Prepend(exception),
    };
}

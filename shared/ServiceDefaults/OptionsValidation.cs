using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.ServiceDefaults;

/// <summary>
/// Options are bound one way everywhere: <see cref="AddValidatedOptions{TOptions}"/> (<c>AddOptions&lt;T&gt;().BindConfiguration(section)
/// .ValidateDataAnnotations().ValidateOnStart()</c>); where annotations cannot say a rule (nested objects, rules across fields),
/// <see cref="ValidateProblems{T}"/> adds it, each problem named by its configuration key.
/// </summary>
public static class OptionsValidation
{
    /// <summary>Options of type <typeparamref name="TOptions"/> bound from configuration <paramref name="section"/>, their data annotations checked at start.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions>(
        this IServiceCollection services, string section) where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>Fails validation with every problem <paramref name="problems"/> lists (none: valid).</summary>
    public static OptionsBuilder<T> ValidateProblems<T>(this OptionsBuilder<T> builder, Func<T, IEnumerable<string>> problems) where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new ProblemsValidator<T>(builder.Name, problems));
        return builder;
    }

    private sealed class ProblemsValidator<T>(string? name, Func<T, IEnumerable<string>> problems) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName) return ValidateOptionsResult.Skip;
            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}

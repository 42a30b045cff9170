using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.ServiceDefaults;

/// <summary>
/// The one way options are bound (<see cref="OptionsValidation"/>), in one call: from one configuration section, checked by their
/// data annotations when the host starts, so a bad value stops the process with a message naming its key. A rule annotations
/// cannot say is added to the returned builder with <see cref="OptionsValidation.ValidateProblems{T}"/>.
/// </summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions>(
        this IServiceCollection services, string section) where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}

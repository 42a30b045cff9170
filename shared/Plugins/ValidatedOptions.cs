using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Jobs.Plugins;

/// <summary>
/// The one way options are bound in the plugins and the Integrations host: bound from one configuration section, checked by
/// their data annotations (and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/> where an attribute cannot
/// say it) when the host starts, so a bad value stops the process with a message naming its key.
/// </summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions>(
        this IServiceCollection services, string section) where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}

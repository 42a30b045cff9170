using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting.Security;

/// <summary>Authenticates the <c>X-Api-Key</c> header; the key's role becomes the caller's role claim.</summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    /// <summary>The default scheme: forwards to this one when the call sends <see cref="Header"/>, else to the console's session.</summary>
    public const string CallerScheme = "Caller";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.ToString() is not { Length: > 0 } key)
            return AuthenticateResult.NoResult();
        var info = await keys.FindAsync(key);
        if (info is null) return AuthenticateResult.Fail("unknown API key");
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, info.Name), new Claim(ClaimTypes.Role, info.Role), new Claim("key_id", info.Id), .. KeyScope.Claims(info)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problem(StatusCodes.Status401Unauthorized, "An API key is required", $"Send a valid key in the {Header} header.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problem(StatusCodes.Status403Forbidden, "Not allowed for this key's role",
            $"The role '{Context.User.FindFirstValue(ClaimTypes.Role)}' is not bound to this operation.");

    private Task Problem(int status, string title, string detail) => Problems.WriteAsync(Context, status, title, detail);
}

/// <summary>
/// Operations and the roles bound to them (<c>Security:Bindings</c>, e.g. <c>"run": ["service", "internal"]</c>);
/// each operation is an authorization policy of the same name.
/// </summary>
public static class Operations
{
    public const string Read = "read";
    public const string Run = "run";
    public const string Manage = "manage";

    public static readonly Dictionary<string, string[]> DefaultBindings = new()
    {
        [Read] = [ApiKeys.User, ApiKeys.Service, ApiKeys.Internal],
        [Run] = [ApiKeys.Service, ApiKeys.Internal],
        [Manage] = [ApiKeys.Internal],
    };

    /// <summary>One policy per operation, requiring the roles <paramref name="security"/> binds to it, for a key or a console session alike.</summary>
    public static void AddPolicies(AuthorizationOptions options, SecurityOptions security)
    {
        foreach (var operation in DefaultBindings.Keys)
        {
            var roles = security.RolesFor(operation);
            options.AddPolicy(operation, policy => policy.AddAuthenticationSchemes(ApiKeyAuthentication.CallerScheme).RequireRole(roles));
        }
    }
}

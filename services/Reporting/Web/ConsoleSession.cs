using System.Security.Claims;
using System.Security.Cryptography;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting.Web;

public sealed record SignInRequest(string? Key);

/// <summary>Who is signed in: the key's name and role, what the role may do, and the token state-changing requests must echo.</summary>
public sealed record SessionResponse(string Name, string Role, string? Csrf, IReadOnlyList<string> Operations, string? SeqUrl);

/// <summary>
/// The console's session: an API key is exchanged once (<c>POST /session</c>, JSON body) for an HttpOnly, SameSite=Strict
/// cookie carrying the key's name, role and hash (never the key) and a CSRF token. The key is checked again on every request
/// (a revoked key ends its sessions), and every state-changing request made with the cookie must send the token in
/// <see cref="CsrfHeader"/> (<see cref="ConsoleSecurity"/>).
/// </summary>
public static class ConsoleSession
{
    public const string SchemeName = "Console";
    public const string CookieName = "jobs_session";
    public const string CsrfHeader = "X-Csrf-Token";
    public const string CsrfClaim = "csrf";
    public const string KeyHashClaim = "key_hash";

    /// <summary>How long a session lasts without a request (sliding).</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromHours(8);

    public static void AddCookie(AuthenticationBuilder authentication) =>
        authentication.AddCookie(SchemeName, options =>
        {
            options.Cookie.Name = CookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.Path = "/";
            options.ExpireTimeSpan = IdleLifetime;
            options.SlidingExpiration = true;
            // An API answers problem details: no redirects to a login page.
            options.Events.OnRedirectToLogin = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized,
                "Sign in first", "Sign in with an API key (POST /session) or send it in the X-Api-Key header.");
            options.Events.OnRedirectToAccessDenied = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden,
                "Not allowed for this key's role", $"The role '{context.HttpContext.User.FindFirstValue(ClaimTypes.Role)}' is not bound to this operation.");
            options.Events.OnValidatePrincipal = ValidateAsync;
        });

    /// <summary>A session lives only as long as its key: a revoked key (or a changed administrator key) signs it out.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var hash = context.Principal?.FindFirstValue(KeyHashClaim);
        var keys = context.HttpContext.RequestServices.GetRequiredService<ApiKeys>();
        if (hash is null || await keys.FindByHashAsync(hash) is not { } info || info.Role != context.Principal!.FindFirstValue(ClaimTypes.Role))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
        }
    }

    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/session").WithTags("Console");
        session.MapPost("", SignInAsync).WithName("SignIn").AllowAnonymous()
            .WithDescription("Exchanges an API key (JSON body {\"key\"}) for the console's session cookie (HttpOnly, SameSite=Strict). " +
                             "Answers who is signed in and the CSRF token every state-changing request of the session must send in X-Csrf-Token.");
        session.MapGet("", (HttpContext http, IOptions<SecurityOptions> security, IOptions<SeqOptions> seq) => Results.Ok(Describe(http.User, security.Value, seq.Value)))
            .WithName("GetSession").RequireAuthorization(Operations.Read)
            .WithDescription("Who is signed in, what the role may do (read, run, manage) and the session's CSRF token.");
        session.MapDelete("", async (HttpContext http) =>
        {
            await http.SignOutAsync(SchemeName);
            return Results.NoContent();
        }).WithName("SignOut").AllowAnonymous();
        return app;
    }

    private static async Task<IResult> SignInAsync(SignInRequest request, HttpContext http, ApiKeys keys, IOptions<SecurityOptions> security,
        IOptions<SeqOptions> seq, ILoggerFactory logs)
    {
        if (string.IsNullOrEmpty(request.Key))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["key"] = ["is required"] }, title: "Sign-in needs an API key");
        // A sign-in form posted from another site could log the victim into the attacker's session (login CSRF).
        if (!SameOrigin(http.Request))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site sign-in refused",
                detail: "The Origin of the sign-in request is not this site.");
        if (await keys.FindAsync(request.Key) is not { } info)
        {
            logs.CreateLogger("Jobs.Reporting.Console").LogWarning("Console sign-in with an unknown key from {Address}", http.Connection.RemoteIpAddress);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unknown API key", detail: "No such key, or it was revoked.");
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, info.Name), new Claim(ClaimTypes.Role, info.Role), new Claim("key_id", info.Id),
            new Claim(KeyHashClaim, ApiKeys.Hash(request.Key)),
            new Claim(CsrfClaim, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
            .. KeyScope.Claims(info),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        var principal = new ClaimsPrincipal(identity);
        await http.SignInAsync(SchemeName, principal, new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });
        return Results.Ok(Describe(principal, security.Value, seq.Value));
    }

    private static bool SameOrigin(HttpRequest request) =>
        request.Headers.Origin.ToString() is not { Length: > 0 } origin
        || (Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase));

    private static SessionResponse Describe(ClaimsPrincipal user, SecurityOptions security, SeqOptions seq)
    {
        var role = user.FindFirstValue(ClaimTypes.Role) ?? "";
        var allowed = Operations.DefaultBindings.Keys.Where(o => security.RolesFor(o).Contains(role)).ToList();
        return new SessionResponse(user.FindFirstValue(ClaimTypes.Name) ?? "", role, user.FindFirstValue(CsrfClaim), allowed,
            seq.Enabled ? seq.ServerUrl : null);
    }
}

using System.Security.Cryptography;
using System.Text;
using Jobs.Reporting.Security;

namespace Jobs.Reporting.Web;

/// <summary>
/// The console's two guards. CSRF: a state-changing request authenticated by the session cookie must carry the session's
/// token in <see cref="ConsoleSession.CsrfHeader"/>, else 403 (calls with an X-Api-Key header are not cookie-borne and need
/// none). Pages: everything under <see cref="ConsoleEndpoints.Path"/> is served with a Content-Security-Policy that allows
/// scripts, styles and connections only from this origin (no inline script, no framing).
/// </summary>
public sealed class ConsoleSecurity(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(ConsoleEndpoints.Path))
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
        }

        if (!IsCookieBorneWrite(context) || HasValidToken(context)) return next(context);
        return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Missing or wrong CSRF token",
            $"A state-changing request of a console session must send the session's token in the {ConsoleSession.CsrfHeader} header.");
    }

    private static bool IsCookieBorneWrite(HttpContext context) =>
        !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method))
        && context.User.Identity is { IsAuthenticated: true, AuthenticationType: ConsoleSession.SchemeName }
        // Signing in again is guarded by its JSON body and Origin check instead (it has no token yet).
        && !(HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals("/session", StringComparison.OrdinalIgnoreCase));

    private static bool HasValidToken(HttpContext context)
    {
        var expected = context.User.FindFirst(ConsoleSession.CsrfClaim)?.Value;
        var sent = context.Request.Headers[ConsoleSession.CsrfHeader].ToString();
        return expected is { Length: > 0 } && sent.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(sent));
    }
}

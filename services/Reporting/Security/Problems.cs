namespace Jobs.Reporting.Security;

/// <summary>Problem details written straight to the response, where no endpoint result exists (authentication and security middleware).</summary>
internal static class Problems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { type = $"https://httpstatuses.io/{status}", title, status, detail }, options: null,
            contentType: "application/problem+json");
    }
}

using Jobs.Reporting.Security;
using Microsoft.Extensions.FileProviders;

namespace Jobs.Reporting.Web;

/// <summary>
/// The operations console: static pages and scripts (no build step, no CDN) under <see cref="Path"/>, each page reading the
/// same HTTP API that scripts use, with the session of <see cref="ConsoleSession"/>.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Path = "/console";

    public static WebApplication UseConsole(this WebApplication app)
    {
        app.UseMiddleware<ConsoleSecurity>();
        // Relative script paths need the trailing slash (the endpoint routing would take "/console/" too, so not an endpoint).
        app.Use((context, next) =>
        {
            if (!context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase)) return next(context);
            context.Response.Redirect(Path + "/");
            return Task.CompletedTask;
        });
        var files = new PhysicalFileProvider(System.IO.Path.Combine(AppContext.BaseDirectory, "wwwroot", "console"));
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = Path, FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = Path,
            FileProvider = files,
            // Revalidated on every load (ETag): an upgrade is never hidden behind a cached script.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect(Path + "/")).ExcludeFromDescription();
        app.MapSessionEndpoints();
        return app;
    }
}

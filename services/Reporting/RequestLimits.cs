using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using KestrelServerOptions = Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting;

/// <summary>
/// Bad input never gets further than the edge: bodies over <c>Reporting:MaxRequestBytes</c> are refused (413), JSON
/// that cannot be read - malformed, of the wrong type, or naming a field the request does not have - is answered
/// 400 with the reader's reason (path and position, never a stack trace).
/// </summary>
public static class RequestLimits
{
    public const string MaxBytesKey = ReportingOptions.Section + ":" + nameof(ReportingOptions.MaxRequestBytes);
    public const long DefaultMaxBytes = ReportingOptions.DefaultMaxRequestBytes;

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ReportingOptions>>((kestrel, reporting) =>
            kestrel.Limits.MaxRequestBodySize = reporting.Value.MaxRequestBytes);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);
        // Unreadable bodies throw (in every environment) and are answered by the handler below, with the reason.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        return builder;
    }

    /// <summary>Refuses a declared body over the limit before anything reads it (chunked bodies meet Kestrel's own limit).</summary>
    public static IApplicationBuilder UseRequestLimits(this WebApplication app)
    {
        var max = app.Services.GetRequiredService<IOptions<ReportingOptions>>().Value.MaxRequestBytes;
        return app.Use(async (context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = max;
            if (context.Request.ContentLength > max)
            {
                await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "The request body is too large",
                    $"The body has {context.Request.ContentLength:N0} bytes; at most {max:N0} are accepted.");
                return;
            }

            await next(context);
        });
    }

    private static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private sealed class BadRequestHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad) return false;
            var detail = bad.InnerException is JsonException json ? $"{json.Message}" : bad.Message;
            var title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large" : "The request could not be read";
            await WriteAsync(context, bad.StatusCode, title, detail);
            return true;
        }
    }
}

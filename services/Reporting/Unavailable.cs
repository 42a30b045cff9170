using Jobs.ServiceDefaults;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Jobs.Reporting;

/// <summary>
/// A request that meets a store which is down or restarting (PostgreSQL, Redis, the broker: <see cref="TransientFaults"/>) is
/// answered 503 problem details with <c>Retry-After</c>, naming what is unavailable, not 500: the caller may simply try again.
/// </summary>
public sealed class Unavailable(IProblemDetailsService problemDetails, ILogger<Unavailable> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!TransientFaults.IsTransient(exception)) return false;
        var store = Store(exception);
        logger.LogWarning("{Method} {Path} answered 503: {Store} is unavailable ({Error})", context.Request.Method, context.Request.Path, store,
            exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = $"{store} is unavailable",
                Detail = $"{store} did not answer ({exception.GetType().Name}). Try again in a few seconds.",
            },
        });
    }

    private static string Store(Exception exception) => exception switch
    {
        Npgsql.NpgsqlException => "PostgreSQL",
        StackExchange.Redis.RedisException => "Redis",
        MassTransit.RabbitMqConnectionException or MassTransit.RequestTimeoutException => "RabbitMQ",
        { InnerException: { } inner } => Store(inner),
        _ => "A data store",
    };
}

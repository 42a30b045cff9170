namespace Jobs.Plugins.Storage;

/// <summary>
/// Where a job lands its rows: a table in PostgreSQL or MySQL/MariaDB, or a CSV or JSON Lines file. Every write is an upsert on
/// the table's primary key (a row written twice is there once, with the values of the last write) and all-or-nothing: a write
/// that fails leaves none of its rows.
/// </summary>
public interface IRecordSink : IAsyncDisposable
{
    /// <summary>Where the rows go, safe to log and show: no password.</summary>
    string Description { get; }

    /// <summary>
    /// Creates the table (or file) from the column types when missing; when present, checks that every column is there with a
    /// type that fits and that the primary key is unique there, and throws <see cref="StorageException"/> naming what does not fit.
    /// </summary>
    Task EnsureAsync(CancellationToken cancellationToken);

    /// <summary>Upserts <paramref name="rows"/> (values in the order of the columns) in one transaction; returns the distinct rows written.</summary>
    Task<int> UpsertAsync(IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken);
}

/// <summary>A storage target that cannot take the rows: unknown, not allowed, unreachable, or a table that does not fit.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);

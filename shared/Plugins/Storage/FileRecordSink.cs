using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Jobs.Plugins.Storage;

/// <summary>
/// Rows kept in a CSV (RFC 4180, a header line) or JSON Lines file. A write reads the file, upserts the rows on the primary key
/// (a row keeps its place; new rows are appended), writes the whole into a temporary file in the same directory and renames it
/// into place, so a reader sees the old file or the new one, never half a write; a lock file next to it serialises writers of
/// every process. Meant for modest sizes (the file is rewritten on each write): a big load goes to a database.
/// </summary>
public sealed partial class FileRecordSink : IRecordSink
{
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(2);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _path;
    private readonly RecordTable _table;
    private readonly bool _csv;

    /// <param name="path">The file's full path (checked against the allowed directories by <see cref="StorageTargets"/>).</param>
    public FileRecordSink(string path, RecordTable table, string type, string description)
    {
        if (table.Problems() is { Count: > 0 } problems) throw new StorageException(string.Join("; ", problems));
        _path = path;
        _table = table;
        _csv = type == StorageTypes.Csv;
        Description = description;
    }

    public string Description { get; }

    /// <summary>A plain file name: no directory, no leading dot.</summary>
    public static bool IsFileName(string name) => FileName().IsMatch(name) && name is not ("." or "..");

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"{Description}: cannot create the directory: {e.Message}", e);
        }

        await using var held = await LockAsync(cancellationToken);
        if (File.Exists(_path)) _ = await ReadAsync(cancellationToken);
    }

    public async Task<int> UpsertAsync(IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken)
    {
        var distinct = _table.Distinct(rows);
        if (distinct.Count == 0) return 0;
        await using var held = await LockAsync(cancellationToken);
        var existing = File.Exists(_path) ? await ReadAsync(cancellationToken) : [];
        var keys = _table.KeyIndexes();
        foreach (var row in distinct) existing[_table.KeyOf(row, keys)] = _csv ? CsvLine(row) : JsonLine(row);

        var temporary = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await using (var writer = new StreamWriter(stream, Utf8))
                {
                    writer.NewLine = _csv ? "\r\n" : "\n";
                    if (_csv) await writer.WriteLineAsync(string.Join(',', _table.Columns.Select(c => CsvField(c.Name))));
                    foreach (var line in existing.Values) await writer.WriteLineAsync(line);
                    await writer.FlushAsync(cancellationToken);
                }
            }

            // The bytes on disk before the rename, so a crash cannot leave the new name pointing at an empty file.
            using (var flushed = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) flushed.Flush(flushToDisk: true);
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"{Description}: writing {distinct.Count} rows failed, the file is as it was: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }

        return distinct.Count;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The file's rows by key, each as the line it is written as (in the table's column order).</summary>
    private async Task<Dictionary<string, string>> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(_path, Utf8, cancellationToken);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = _table.KeyIndexes();
        if (_csv)
        {
            var records = ParseCsv(text);
            if (records.Count == 0) return rows;
            var header = records[0];
            foreach (var column in _table.Columns.Where(c => !header.Contains(c.Name)))
                throw new StorageException($"{Description}: the file has no column '{column.Name}' (its header: {string.Join(", ", header)})");
            foreach (var extra in header.Where(h => _table.Columns.All(c => c.Name != h)))
                throw new StorageException($"{Description}: the file has a column '{extra}' the rows do not have");
            var positions = _table.Columns.Select(c => Array.IndexOf(header, c.Name)).ToArray();
            for (var line = 1; line < records.Count; line++)
            {
                var record = records[line];
                if (record.Length != header.Length)
                    throw new StorageException($"{Description}: line {line + 1} has {record.Length} fields, the header {header.Length}");
                object?[] values = [.. positions.Select(p => (object?)record[p])];
                rows[_table.KeyOf(values, keys)] = CsvLine(values);
            }
        }
        else
        {
            var number = 0;
            foreach (var line in text.Split('\n'))
            {
                number++;
                if (line.Trim().Length == 0) continue;
                JsonObject record;
                try
                {
                    record = JsonNode.Parse(line)?.AsObject() ?? throw new JsonException("not an object");
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    throw new StorageException($"{Description}: line {number} is not a JSON object: {e.Message}", e);
                }

                foreach (var (name, _) in record.Where(p => _table.Columns.All(c => c.Name != p.Key)))
                    throw new StorageException($"{Description}: line {number} has a field '{name}' the rows do not have");
                object?[] key = new object?[_table.Columns.Count];
                foreach (var i in keys) key[i] = KeyText(record[_table.Columns[i].Name]);
                rows[_table.KeyOf(key, keys)] = line.TrimEnd('\r');
            }
        }

        return rows;
    }

    private static string? KeyText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    private static string CsvLine(IReadOnlyList<object?> row) =>
        string.Join(',', row.Select(v => CsvField(ColumnTypes.Text(v) ?? "")));

    private string JsonLine(IReadOnlyList<object?> row)
    {
        var record = new JsonObject();
        for (var i = 0; i < _table.Columns.Count; i++)
        {
            var value = row[i];
            record[_table.Columns[i].Name] = _table.Columns[i].Type switch
            {
                _ when value is null => null,
                ColumnTypes.Json => JsonNode.Parse((string)value),
                ColumnTypes.Integer => JsonValue.Create((long)value),
                ColumnTypes.Number => JsonValue.Create((double)value),
                ColumnTypes.Boolean => JsonValue.Create((bool)value),
                _ => JsonValue.Create(ColumnTypes.Text(value)),
            };
        }

        return record.ToJsonString();
    }

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])))
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;

    /// <summary>RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    if (any || field.Length > 0)
                    {
                        fields.Add(field.ToString());
                        records.Add([.. fields]);
                    }

                    fields.Clear();
                    field.Clear();
                    any = false;
                    break;
                default:
                    field.Append(c);
                    any = true;
                    break;
            }
        }

        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            records.Add([.. fields]);
        }

        return records;
    }

    /// <summary>An exclusive lock on <c>.&lt;file&gt;.lock</c>, which every writer of every process opens without sharing.</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var lockPath = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.lock");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockWait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
            catch (IOException e)
            {
                throw new StorageException($"{Description}: another writer held the file for {LockWait.TotalMinutes:0} minutes", e);
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}

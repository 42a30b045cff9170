using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Rest;

/// <summary>What every child of a <c>rest</c> job runs with: the source resolved (defaults filled in, the source merged), its window.</summary>
public sealed record RestStep
{
    public string? Source { get; init; }

    public string Url { get; init; } = "";

    public string Method { get; init; } = "GET";

    public Dictionary<string, string> Query { get; init; } = [];

    public Dictionary<string, string> Headers { get; init; } = [];

    public string? Body { get; init; }

    public string ContentType { get; init; } = "application/json";

    public string DateFormat { get; init; } = "yyyy-MM-dd";

    /// <summary>This child's first and last day (inclusive); null when the job has no window.</summary>
    public DateOnly? WindowStart { get; init; }

    public DateOnly? WindowEnd { get; init; }

    /// <summary>The auth with its type resolved; secrets given in the job travel here (masked by name wherever settings are shown), a credential travels by name.</summary>
    public RestAuth Auth { get; init; } = new() { Type = RestDefinition.AuthNone };

    public RestPagination Pagination { get; init; } = new() { Type = RestDefinition.PageNone };

    public string? RecordsPath { get; init; }

    public List<RestField> Fields { get; init; } = [];

    public List<string> PrimaryKey { get; init; } = [];

    public string Table { get; init; } = "";

    public StorageSettings? Storage { get; init; }

    public string? IncrementalField { get; init; }

    /// <summary>The Redis key of the job definition's high-water mark.</summary>
    public string? IncrementalKey { get; init; }

    /// <summary>The mark when the job started (text of the field's type): rows at or below it are skipped; a retried child uses the same.</summary>
    public string? Since { get; init; }

    public int MaxPages { get; init; } = 1000;

    public int SampleRecords { get; init; } = 20;

    /// <summary>The shape of the rows: the fields as columns, keyed by the primary key.</summary>
    public RecordTable RecordTable() => new(Table, [.. Fields.Select(f => new Column(f.Name, f.Type!))], PrimaryKey);
}

/// <summary>Resolves a <c>rest</c> job's settings (over its named source) into the <see cref="RestStep"/> its children run, naming every problem.</summary>
public static partial class RestDefinition
{
    public const string AuthNone = "none";
    public const string AuthBasic = "basic";
    public const string AuthBearer = "bearer";
    public const string AuthOAuth2 = "oauth2";
    public static readonly string[] AuthTypes = [AuthNone, AuthBasic, AuthBearer, AuthOAuth2];

    public const string PageNone = "none";
    public const string PageNumber = "page_number";
    public const string PageOffset = "offset";
    public const string PageCursor = "cursor";
    public const string PageNextLink = "next_link";
    public static readonly string[] PageTypes = [PageNone, PageNumber, PageOffset, PageCursor, PageNextLink];

    /// <summary>Windows of one job at most.</summary>
    public const int MaxWindows = 3660;

    public static bool IsName(string name) => NameRule().IsMatch(name);

    /// <summary><paramref name="job"/> over <paramref name="source"/>: each value the job gives wins; auth, pagination and incremental merge field by field.</summary>
    public static RestSettings Merge(RestSettings? source, RestSettings job)
    {
        if (source is null) return job;
        return new RestSettings
        {
            Source = job.Source,
            Url = job.Url ?? source.Url,
            Method = job.Method ?? source.Method,
            Query = job.Query ?? source.Query,
            Headers = job.Headers ?? source.Headers,
            Body = job.Body ?? source.Body,
            ContentType = job.ContentType ?? source.ContentType,
            StartDate = job.StartDate ?? source.StartDate,
            EndDate = job.EndDate ?? source.EndDate,
            WindowDays = job.WindowDays ?? source.WindowDays,
            DateFormat = job.DateFormat ?? source.DateFormat,
            Auth = source.Auth is null || job.Auth is null ? job.Auth ?? source.Auth : new RestAuth
            {
                Type = job.Auth.Type ?? source.Auth.Type,
                Credential = job.Auth.Credential ?? (HasInlineSecret(job.Auth) ? null : source.Auth.Credential),
                Username = job.Auth.Username ?? source.Auth.Username,
                Password = job.Auth.Password ?? source.Auth.Password,
                Token = job.Auth.Token ?? source.Auth.Token,
                TokenUrl = job.Auth.TokenUrl ?? source.Auth.TokenUrl,
                ClientId = job.Auth.ClientId ?? source.Auth.ClientId,
                ClientSecret = job.Auth.ClientSecret ?? source.Auth.ClientSecret,
                Scope = job.Auth.Scope ?? source.Auth.Scope,
                ClientAuth = job.Auth.ClientAuth ?? source.Auth.ClientAuth,
            },
            Pagination = source.Pagination is null || job.Pagination is null ? job.Pagination ?? source.Pagination : new RestPagination
            {
                Type = job.Pagination.Type ?? source.Pagination.Type,
                StartPage = job.Pagination.StartPage ?? source.Pagination.StartPage,
                PageSize = job.Pagination.PageSize ?? source.Pagination.PageSize,
                CursorPath = job.Pagination.CursorPath ?? source.Pagination.CursorPath,
                NextLinkPath = job.Pagination.NextLinkPath ?? source.Pagination.NextLinkPath,
                TotalPath = job.Pagination.TotalPath ?? source.Pagination.TotalPath,
            },
            RecordsPath = job.RecordsPath ?? source.RecordsPath,
            Fields = job.Fields ?? source.Fields,
            PrimaryKey = job.PrimaryKey ?? source.PrimaryKey,
            Incremental = source.Incremental is null || job.Incremental is null ? job.Incremental ?? source.Incremental : new RestIncremental
            {
                Field = job.Incremental.Field ?? source.Incremental.Field,
                Start = job.Incremental.Start ?? source.Incremental.Start,
                Key = job.Incremental.Key ?? source.Incremental.Key,
            },
            Table = job.Table ?? source.Table,
            Storage = job.Storage ?? source.Storage,
            MaxPages = job.MaxPages ?? source.MaxPages,
            SampleRecords = job.SampleRecords ?? source.SampleRecords,
        };
    }

    private static bool HasInlineSecret(RestAuth auth) => auth.Password is not null || auth.Token is not null || auth.ClientSecret is not null;

    /// <summary>
    /// The step of a job (<paramref name="complete"/>: credentials and dates must be all there) or of a source definition checked at
    /// start (not complete: a job may bring them). The step has no window: <see cref="Windows"/> gives each child's.
    /// </summary>
    public static (RestStep Step, IReadOnlyList<string> Problems) Resolve(string? sourceName, RestSettings settings, RestOptions options, bool complete)
    {
        var problems = new List<string>();
        var method = (settings.Method ?? "GET").ToUpperInvariant();
        if (method is not ("GET" or "POST")) problems.Add($"method '{settings.Method}' must be GET or POST");
        if (settings.Body is not null && method != "POST") problems.Add("body is sent with method POST only");

        var dateFormat = settings.DateFormat ?? "yyyy-MM-dd";
        try
        {
            _ = new DateOnly(2026, 12, 31).ToString(dateFormat, CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            problems.Add($"date_format '{dateFormat}' is not a .NET date format");
        }

        // Placeholders, wherever a template is.
        var templates = new List<(string Where, string Text)>();
        if (settings.Url is { } url) templates.Add(("url", url));
        foreach (var (name, value) in settings.Query ?? []) templates.Add(($"query.{name}", value));
        foreach (var (name, value) in settings.Headers ?? []) templates.Add(($"headers.{name}", value));
        if (settings.Body is { } body) templates.Add(("body", body));
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (where, text) in templates)
        {
            foreach (var placeholder in RestTemplate.Used(text))
            {
                if (RestTemplate.Known.Contains(placeholder)) used.Add(placeholder);
                else problems.Add($"{where}: unknown placeholder '{{{placeholder}}}'; known: {string.Join(", ", RestTemplate.Known.Select(k => $"{{{k}}}"))}");
            }
        }

        if (settings.Url is null) problems.Add("url is required (or a source that has one)");
        else
        {
            var sample = RestTemplate.Render(settings.Url, RestTemplate.Known.ToDictionary(k => k, _ => (string?)"1"), Uri.EscapeDataString);
            if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"url '{settings.Url}' is not an absolute http(s) URL");
        }

        foreach (var name in (settings.Headers ?? []).Keys.Where(h => h.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
            problems.Add($"headers.{name}: credentials go in `auth` (basic, bearer, oauth2), whose secrets are masked and may be kept in the service");

        // The window.
        var usesDates = used.Contains(RestTemplate.StartDate) || used.Contains(RestTemplate.EndDate);
        if (settings.StartDate is null != settings.EndDate is null) problems.Add("start_date and end_date go together: give both or neither");
        else if (settings.StartDate is { } start && settings.EndDate is { } end)
        {
            if (end < start) problems.Add($"end_date {end:yyyy-MM-dd} is before start_date {start:yyyy-MM-dd}");
            else if (WindowCount(start, end, settings.WindowDays ?? 1) > MaxWindows)
                problems.Add($"{start:yyyy-MM-dd}..{end:yyyy-MM-dd} in windows of {settings.WindowDays ?? 1} day(s) is more than {MaxWindows} children: raise window_days");
            if (!usesDates) problems.Add("start_date and end_date are set, but neither {start_date} nor {end_date} is in the url, query, headers or body");
        }
        else if (usesDates && complete) problems.Add("the source uses {start_date} / {end_date}: give start_date and end_date");

        var auth = ResolveAuth(settings.Auth, options, complete, problems);
        var pagination = ResolvePagination(settings.Pagination, used, problems);

        if (!JsonPath.IsValid(settings.RecordsPath)) problems.Add($"records_path '{settings.RecordsPath}' has an empty step");
        var fields = new List<RestField>();
        if (settings.Fields is not { Count: > 0 }) problems.Add("fields: name at least one field to keep");
        foreach (var field in settings.Fields ?? [])
        {
            var type = field.Type ?? ColumnTypes.String;
            if (!RecordTable.IsIdentifier(field.Name)) problems.Add($"fields: '{field.Name}' must be a plain name: a letter or _, then letters, digits or _");
            if (!ColumnTypes.All.Contains(type)) problems.Add($"fields.{field.Name}: type '{type}' must be one of: {string.Join(", ", ColumnTypes.All)}");
            if (!JsonPath.IsValid(field.Path)) problems.Add($"fields.{field.Name}: path '{field.Path}' has an empty step");
            fields.Add(new RestField { Name = field.Name, Path = string.IsNullOrEmpty(field.Path) ? field.Name : field.Path, Type = type });
        }

        foreach (var duplicate in fields.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"fields: '{duplicate.Key}' is named twice");
        var key = settings.PrimaryKey ?? [];
        if (key.Count == 0) problems.Add("primary_key: name the field(s) that identify a record");
        foreach (var name in key)
        {
            if (fields.FirstOrDefault(f => f.Name == name) is not { } field) problems.Add($"primary_key '{name}' is not one of the fields");
            else if (field.Type == ColumnTypes.Json) problems.Add($"primary_key '{name}' is a json field");
        }

        var table = settings.Table ?? (sourceName is null ? null : "rest_" + sourceName.Replace('-', '_'));
        if (table is null) problems.Add("table is required (or a source, whose name it defaults to)");
        else if (!RecordTable.IsIdentifier(table)) problems.Add($"table '{table}' must be a plain name: a letter or _, then letters, digits or _ (at most 63)");
        if (settings.Storage is { } storage) problems.AddRange(storage.Problems());

        string? since = null, incrementalKey = null, incrementalField = null;
        if (settings.Incremental is { } incremental)
        {
            incrementalField = incremental.Field;
            var field = fields.FirstOrDefault(f => f.Name == incremental.Field);
            if (incremental.Field is null) problems.Add("incremental.field is required");
            else if (field is null) problems.Add($"incremental.field '{incremental.Field}' is not one of the fields");
            else if (field.Type is ColumnTypes.Json or ColumnTypes.Boolean) problems.Add($"incremental.field '{field.Name}' is a {field.Type} field: it needs an order");
            else if (incremental.Start is { } first)
            {
                try
                {
                    since = RestMarks.Normalize(first, field.Type!);
                }
                catch (FormatException e)
                {
                    problems.Add($"incremental.start: {e.Message}");
                }
            }

            if (incremental.Key is { } named && !IsName(named)) problems.Add($"incremental.key '{named}' is lower-case letters, digits, '-' or '_'");
            incrementalKey = incremental.Key ?? DefinitionHash(settings, table);
        }
        else if (used.Contains(RestTemplate.Since)) problems.Add("{since} is used, but there is no incremental cursor (incremental.field)");

        var step = new RestStep
        {
            Source = sourceName,
            Url = settings.Url ?? "",
            Method = method,
            Query = settings.Query ?? [],
            Headers = settings.Headers ?? [],
            Body = settings.Body,
            ContentType = settings.ContentType ?? "application/json",
            DateFormat = dateFormat,
            Auth = auth,
            Pagination = pagination,
            RecordsPath = string.IsNullOrEmpty(settings.RecordsPath) ? null : settings.RecordsPath,
            Fields = fields,
            PrimaryKey = key,
            Table = table ?? "",
            Storage = settings.Storage,
            IncrementalField = incrementalField,
            IncrementalKey = incrementalKey,
            Since = since,
            MaxPages = settings.MaxPages ?? 1000,
            SampleRecords = settings.SampleRecords ?? 20,
        };
        return (step, problems);
    }

    /// <summary>The job's windows, oldest first: <c>window_days</c> days each, the last one shorter; one window of nothing when the job has no dates.</summary>
    public static IReadOnlyList<(DateOnly? Start, DateOnly? End)> Windows(RestSettings settings)
    {
        if (settings.StartDate is not { } start || settings.EndDate is not { } end) return [(null, null)];
        var days = settings.WindowDays ?? 1;
        var windows = new List<(DateOnly?, DateOnly?)>();
        for (var from = start; from <= end; from = from.AddDays(days))
        {
            var to = from.AddDays(days - 1);
            windows.Add((from, to > end ? end : to));
        }

        return windows;
    }

    private static long WindowCount(DateOnly start, DateOnly end, int days) => (end.DayNumber - start.DayNumber) / Math.Max(1, days) + 1;

    private static RestAuth ResolveAuth(RestAuth? given, RestOptions options, bool complete, List<string> problems)
    {
        var auth = given ?? new RestAuth();
        var type = auth.Type ?? AuthNone;
        if (!AuthTypes.Contains(type))
        {
            problems.Add($"auth.type '{auth.Type}' must be one of: {string.Join(", ", AuthTypes)}");
            return new RestAuth { Type = AuthNone };
        }

        RestCredential? credential = null;
        if (auth.Credential is { } name)
        {
            if (!options.Credentials.TryGetValue(name, out credential))
                problems.Add(options.Credentials.Count == 0
                    ? $"auth.credential '{name}' is not configured (Rest:Credentials has none)"
                    : $"auth.credential '{name}' is not configured; configured: {string.Join(", ", options.Credentials.Keys.Order(StringComparer.Ordinal))}");
            if (HasInlineSecret(auth)) problems.Add("auth: give a credential or its secrets, not both");
        }

        var clientAuth = auth.ClientAuth ?? "basic";
        if (clientAuth is not ("basic" or "body")) problems.Add($"auth.client_auth '{auth.ClientAuth}' must be basic or body");
        if (complete && (auth.Credential is null || credential is not null))
        {
            switch (type)
            {
                case AuthBasic when (auth.Username ?? credential?.Username) is null || (auth.Password ?? credential?.Password) is null:
                    problems.Add("auth basic needs username and password (or a credential that has them)");
                    break;
                case AuthBearer when (auth.Token ?? credential?.Token) is null:
                    problems.Add("auth bearer needs a token (or a credential that has one)");
                    break;
                case AuthOAuth2 when (auth.ClientId ?? credential?.ClientId) is null || (auth.ClientSecret ?? credential?.ClientSecret) is null:
                    problems.Add("auth oauth2 needs client_id and client_secret (or a credential that has them)");
                    break;
            }
        }

        if (type == AuthOAuth2 && (auth.TokenUrl is null || !Uri.TryCreate(auth.TokenUrl, UriKind.Absolute, out var token) || token.Scheme is not ("http" or "https")))
            problems.Add($"auth.token_url '{auth.TokenUrl}' must be an absolute http(s) URL for oauth2");
        return new RestAuth
        {
            Type = type, Credential = auth.Credential, Username = auth.Username, Password = auth.Password, Token = auth.Token,
            TokenUrl = auth.TokenUrl, ClientId = auth.ClientId, ClientSecret = auth.ClientSecret, Scope = auth.Scope, ClientAuth = clientAuth,
        };
    }

    private static RestPagination ResolvePagination(RestPagination? given, HashSet<string> used, List<string> problems)
    {
        var pagination = given ?? new RestPagination();
        var type = pagination.Type ?? PageNone;
        if (!PageTypes.Contains(type)) problems.Add($"pagination.type '{pagination.Type}' must be one of: {string.Join(", ", PageTypes)}");
        if (pagination.PageSize is < 1) problems.Add("pagination.page_size must be at least 1");
        if (pagination.StartPage is < 0) problems.Add("pagination.start_page must be 0 or more");
        foreach (var (name, path) in new[] { ("cursor_path", pagination.CursorPath), ("next_link_path", pagination.NextLinkPath), ("total_path", pagination.TotalPath) })
            if (!JsonPath.IsValid(path)) problems.Add($"pagination.{name} '{path}' has an empty step");
        switch (type)
        {
            case PageNumber when !used.Contains(RestTemplate.Page):
                problems.Add("pagination page_number needs {page} in the url, query, headers or body");
                break;
            case PageOffset when !used.Contains(RestTemplate.Offset):
                problems.Add("pagination offset needs {offset} in the url, query, headers or body");
                break;
            case PageOffset when pagination.PageSize is null:
                problems.Add("pagination offset needs page_size (the records per page)");
                break;
            case PageCursor when !used.Contains(RestTemplate.Cursor):
                problems.Add("pagination cursor needs {cursor} in the url, query, headers or body");
                break;
            case PageCursor when string.IsNullOrEmpty(pagination.CursorPath):
                problems.Add("pagination cursor needs cursor_path (where the next cursor is in the answer)");
                break;
        }

        foreach (var placeholder in new[] { RestTemplate.Page, RestTemplate.Offset, RestTemplate.Cursor }.Where(used.Contains))
        {
            var needs = placeholder switch { RestTemplate.Page => PageNumber, RestTemplate.Offset => PageOffset, _ => PageCursor };
            if (type != needs) problems.Add($"{{{placeholder}}} is used, but pagination.type is '{type}', not '{needs}'");
        }

        if (used.Contains(RestTemplate.Limit) && pagination.PageSize is null) problems.Add("{limit} is used, but pagination.page_size is not set");
        return new RestPagination
        {
            Type = type,
            StartPage = pagination.StartPage ?? 1,
            PageSize = pagination.PageSize,
            CursorPath = pagination.CursorPath,
            NextLinkPath = pagination.NextLinkPath,
            TotalPath = pagination.TotalPath,
        };
    }

    /// <summary>The job definition an incremental mark belongs to: the request and where its rows go, never a credential or a window.</summary>
    private static string DefinitionHash(RestSettings settings, string? table)
    {
        var definition = new StringBuilder()
            .Append(settings.Method ?? "GET").Append('\n').Append(settings.Url).Append('\n')
            .AppendJoin('&', (settings.Query ?? []).OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => $"{q.Key}={q.Value}")).Append('\n')
            .Append(settings.Body).Append('\n').Append(settings.RecordsPath).Append('\n').Append(settings.Incremental?.Field).Append('\n')
            .Append(table).Append('\n').Append(settings.Storage?.Target ?? settings.Storage?.Type).Append('\n')
            .Append(settings.Storage?.Settings?.Hostname).Append('/').Append(settings.Storage?.Settings?.Db).Append('/')
            .Append(settings.Storage?.Settings?.Schema).Append('/').Append(settings.Storage?.Settings?.Table).Append('/').Append(settings.Storage?.Settings?.Directory)
            .Append('/').Append(settings.Storage?.Settings?.File);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition.ToString())))[..32];
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRule();
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Rest;

/// <summary>
/// Settings of a <c>rest</c> job: a declarative source (URL template, auth, pagination, where the records are, the fields and
/// their types, the key), an optional date window and incremental cursor, and where the rows go. A job may name a source
/// configured in the service (<c>Rest:Sources:&lt;name&gt;</c>) and give only what differs (its window, its credentials);
/// every value the job gives overrides the source's, objects (auth, pagination, incremental) field by field.
/// </summary>
public sealed class RestSettings
{
    [Description("A source configured in the Integrations service (Rest:Sources:<name>): its definition is the default of every other setting")]
    public string? Source { get; set; }

    [Description("URL template: {start_date}, {end_date} (the child's window), {page}, {offset}, {limit}, {cursor} (pagination), {since} (the incremental cursor)")]
    public string? Url { get; set; }

    [Description("GET (default) or POST")]
    public string? Method { get; set; }

    [Description("Query parameters added to the URL (values are templates; a parameter whose value is only a placeholder that is empty is left out)")]
    public Dictionary<string, string>? Query { get; set; }

    [Description("Request headers (values are templates); credentials go in `auth`, not here")]
    public Dictionary<string, string>? Headers { get; set; }

    [Description("Request body of a POST (a template; placeholders are JSON-escaped when content_type is JSON)")]
    public string? Body { get; set; }

    [Description("Content type of the body (default application/json)")]
    public string? ContentType { get; set; }

    [Description("First day of the data (yyyy-MM-dd, today, yesterday, N days back), resolved at submit time in the platform's time zone")]
    public DateOnly? StartDate { get; set; }

    [Description("Last day of the data, inclusive (same forms as start_date)")]
    public DateOnly? EndDate { get; set; }

    [Description("Days per child: the window start_date..end_date is split into one child per window_days days (default 1)")]
    [Range(1, 3660)]
    public int? WindowDays { get; set; }

    [Description(".NET date format of {start_date} / {end_date} (default yyyy-MM-dd)")]
    public string? DateFormat { get; set; }

    [Description("Authentication: {\"type\": none|basic|bearer|oauth2, username, password, token, token_url, client_id, client_secret, scope, client_auth: basic|body, credential: a name in Rest:Credentials}")]
    public RestAuth? Auth { get; set; }

    [Description("Pagination: {\"type\": none|page_number|offset|cursor|next_link, start_page, page_size, cursor_path, next_link_path (else the Link header), total_path}")]
    public RestPagination? Pagination { get; set; }

    [Description("Where the records are in the answer, a dotted path such as data.items (empty: the answer is the array)")]
    public string? RecordsPath { get; set; }

    [Description("Fields kept: [{\"name\", \"path\" (dotted, default the name), \"type\": string|integer|number|boolean|date|timestamp|json}]")]
    public List<RestField>? Fields { get; set; }

    [Description("The field(s) that identify a record: rows are upserted on them")]
    public List<string>? PrimaryKey { get; set; }

    [Description("Incremental cursor: {\"field\": a field whose high-water mark is kept per job definition, \"start\": the first run's value, \"key\": a name for the mark}")]
    public RestIncremental? Incremental { get; set; }

    [Description("Table (or file name) the rows go to (default rest_<source>)")]
    public string? Table { get; set; }

    [Description("Where the rows go: {\"target\": a name in Storage:Targets} or {\"type\": postgres|mysql|csv|jsonl, \"settings\": {...}}; absent: the platform's PostgreSQL")]
    public StorageSettings? Storage { get; set; }

    [Description("Pages per child at most (default 1000): a child that would need more fails rather than land part of its window")]
    [Range(1, 100_000)]
    public int? MaxPages { get; set; }

    [Description("Records kept as the original/processed samples of each child (GET /jobs/{id}?full=true)")]
    [Range(0, 100)]
    public int? SampleRecords { get; set; }
}

/// <summary>How a <c>rest</c> source authenticates.</summary>
public sealed class RestAuth
{
    [Description("none (default), basic, bearer or oauth2 (client credentials)")]
    [AllowedValues(RestDefinition.AuthNone, RestDefinition.AuthBasic, RestDefinition.AuthBearer, RestDefinition.AuthOAuth2)]
    public string? Type { get; set; }

    [Description("A credential configured in the service (Rest:Credentials:<name>): its username/password, token or client id/secret")]
    public string? Credential { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    public string? TokenUrl { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string? Scope { get; set; }

    [Description("basic (default): the client authenticates with HTTP Basic; body: with client_id/client_secret form fields")]
    [AllowedValues("basic", "body")]
    public string? ClientAuth { get; set; }
}

/// <summary>How a <c>rest</c> source pages.</summary>
public sealed class RestPagination
{
    [Description("none (default: one request), page_number, offset, cursor or next_link")]
    [AllowedValues(RestDefinition.PageNone, RestDefinition.PageNumber, RestDefinition.PageOffset, RestDefinition.PageCursor, RestDefinition.PageNextLink)]
    public string? Type { get; set; }

    [Description("{page} of the first request (default 1)")]
    public int? StartPage { get; set; }

    [Description("{limit}; a page with fewer records is the last")]
    public int? PageSize { get; set; }

    [Description("cursor: the dotted path of the next cursor in the answer")]
    public string? CursorPath { get; set; }

    [Description("next_link: the dotted path of the next page's URL in the answer; without it the Link header's rel=\"next\"")]
    public string? NextLinkPath { get; set; }

    [Description("The dotted path of the total number of records: paging stops once that many were read")]
    public string? TotalPath { get; set; }
}

/// <summary>A field kept from each record.</summary>
public sealed class RestField
{
    [Description("The column's name")]
    [Required]
    public string Name { get; set; } = "";

    [Description("Where the value is in a record, dotted (default: the name)")]
    public string? Path { get; set; }

    [Description("The column's type (default string)")]
    [AllowedValues(ColumnTypes.String, ColumnTypes.Integer, ColumnTypes.Number, ColumnTypes.Boolean, ColumnTypes.Date, ColumnTypes.Timestamp, ColumnTypes.Json)]
    public string? Type { get; set; }
}

/// <summary>An incremental cursor over a field of the records.</summary>
public sealed class RestIncremental
{
    public string? Field { get; set; }

    public string? Start { get; set; }

    public string? Key { get; set; }
}

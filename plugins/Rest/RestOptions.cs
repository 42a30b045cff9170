using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Rest;

/// <summary>
/// Configuration section <c>Rest</c>: the sources a job may name (vendors as data, like the catalogue's), the credentials a
/// source or job may reference by name (so secrets stay in the service), and the Redis keys of cursors and tokens.
/// </summary>
public sealed class RestOptions
{
    public const string Section = "Rest";

    /// <summary>Named source definitions (<c>Rest:Sources:&lt;name&gt;</c>), each the settings of a <c>rest</c> job without its window.</summary>
    public Dictionary<string, RestSettings> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Named credentials (<c>Rest:Credentials:&lt;name&gt;</c>), referenced as <c>auth.credential</c>.</summary>
    public Dictionary<string, RestCredential> Credentials { get; set; } = new(StringComparer.Ordinal);

    [Required]
    public string RedisPrefix { get; set; } = "rest:";

    /// <summary>A cached OAuth token is dropped this long before it expires.</summary>
    public TimeSpan TokenExpiryMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An incremental cursor without progress for this long is forgotten (the next run starts from <c>incremental.start</c>).</summary>
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromDays(90);

    public IEnumerable<string> Problems()
    {
        foreach (var (name, source) in Sources)
        {
            if (!RestDefinition.IsName(name)) yield return $"Rest:Sources:{name}: a source name is lower-case letters, digits, '-' or '_'";
            if (source.Source is not null) yield return $"Rest:Sources:{name}:Source: a source cannot name another source";
            if (source.StartDate is not null || source.EndDate is not null)
                yield return $"Rest:Sources:{name}: start_date and end_date belong to a job, not to its source";
            foreach (var problem in RestDefinition.Resolve(name, source, this, complete: false).Problems)
                yield return $"Rest:Sources:{name}: {problem}";
        }

        foreach (var (name, credential) in Credentials)
        {
            if (!RestDefinition.IsName(name)) yield return $"Rest:Credentials:{name}: a credential name is lower-case letters, digits, '-' or '_'";
            if (credential.Username is null && credential.Token is null && credential.ClientId is null)
                yield return $"Rest:Credentials:{name}: give a Username and Password, a Token, or a ClientId and ClientSecret";
        }
    }
}

/// <summary>A credential kept in the service (<c>Rest:Credentials:&lt;name&gt;</c>); its values never travel in messages.</summary>
public sealed class RestCredential
{
    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}

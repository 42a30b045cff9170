using System.Text.Json;

namespace Jobs.TestSupport;

/// <summary>Reads the nodes of <c>GET /jobs/{id}/tree</c>.</summary>
public static class JobTreeJson
{
    /// <summary>A node's subtree counts: done, failed, running, waiting.</summary>
    public static (long Done, long Failed, long Running, long Waiting) Counts(JsonElement node)
    {
        var c = node.GetProperty("counts");
        return (c.GetProperty("done").GetInt64(), c.GetProperty("failed").GetInt64(), c.GetProperty("running").GetInt64(), c.GetProperty("waiting").GetInt64());
    }
}

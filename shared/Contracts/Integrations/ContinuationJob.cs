using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>A job that runs once, after every child spawned with it (and their descendants) has finished.</summary>
public record ContinuationJob(string Task, JsonElement Settings);

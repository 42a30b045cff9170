using Jobs.Bench;

// `make bench` runs every suite; BENCH_ARGS="--suite fanout" (a comma-separated list) picks some.
// Each suite reads its own options from the same arguments.
var suites = BenchArgs.Value(args, "--suite", "fanout,movies,catalogue,rest,console,scaling,tracing").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
foreach (var suite in suites)
{
    Console.WriteLine($"== {suite} ==");
    var code = suite switch
    {
        "fanout" => await FanOutBench.RunAsync(args),
        "movies" => await MoviesBench.RunAsync(args),
        "catalogue" => await CatalogueBench.RunAsync(args),
        "rest" => await RestBench.RunAsync(args),
        "console" => await ConsoleBench.RunAsync(args),
        "scaling" => await ScalingBench.RunAsync(args),
        "tracing" => await TracingBench.RunAsync(args),
        "bullmq" => await BullMqBench.RunStandaloneAsync(args),
        "timeline" => await TimelineBench.RunAsync(args),
        _ => throw new ArgumentException($"unknown benchmark suite '{suite}'; known: fanout, movies, catalogue, rest, console, scaling, tracing, timeline, bullmq"),
    };
    if (code != 0) return code;
    Console.WriteLine();
}

return 0;

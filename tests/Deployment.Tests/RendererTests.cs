using System.Text.Json.Nodes;

namespace Jobs.Deployment.Tests;

/// <summary>The test's kustomize renderer: what it does with the subset infra/k8s uses, and that it refuses the rest.</summary>
public sealed class RendererTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kustomize-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string file, string text)
    {
        var path = Path.Combine(_folder, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - {name: web, image: "jobs/web:dev", args: [a, b], env: [{name: A, value: "1"}]}
                - {name: side, image: "jobs/side:dev"}
        """;

    [Fact]
    public void A_patch_that_matches_nothing_fails_the_render()
    {
        Write("deployment.yaml", Deployment);
        Write("kustomization.yaml", "resources: [deployment.yaml]\npatches:\n  - patch: |-\n      {apiVersion: apps/v1, kind: Deployment, metadata: {name: webb}, spec: {replicas: 2}}\n");
        Assert.Throws<InvalidOperationException>(() => Kustomize.Build(_folder));
    }

    [Fact]
    public void A_field_the_renderer_does_not_implement_fails_the_render()
    {
        Write("deployment.yaml", Deployment);
        Write("kustomization.yaml", "resources: [deployment.yaml]\nconfigMapGenerator:\n  - {name: x, literals: [a=b]}\n");
        Assert.Throws<NotSupportedException>(() => Kustomize.Build(_folder));
    }

    [Fact]
    public void A_json_patch_on_a_path_that_does_not_exist_fails_the_render()
    {
        Write("deployment.yaml", Deployment);
        Write("kustomization.yaml", "resources: [deployment.yaml]\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n      - {op: replace, path: /spec/template/spec/containers/5/image, value: x}\n");
        Assert.Throws<InvalidOperationException>(() => Kustomize.Build(_folder));
    }

    [Fact]
    public void A_strategic_merge_merges_containers_and_env_by_name_and_replaces_other_lists()
    {
        Write("deployment.yaml", Deployment);
        Write("patch.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 3
              template:
                spec:
                  containers:
                    - {name: web, args: [c], env: [{name: B, value: "2"}]}
            """);
        Write("kustomization.yaml", "resources: [deployment.yaml]\npatches:\n  - path: patch.yaml\n");
        var web = (JsonObject)Assert.Single(Kustomize.Build(_folder));
        Assert.Equal(3, web["spec"]!["replicas"]!.GetValue<long>());
        var containers = web["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["web", "side"], containers.Select(c => c!["name"].Str()));
        Assert.Equal(["c"], containers[0]!["args"]!.AsArray().Select(a => a.Str()));
        Assert.Equal(["A", "B"], containers[0]!["env"]!.AsArray().Select(e => e!["name"].Str()));
        Assert.Equal("jobs/web:dev", containers[0]!["image"].Str());
    }

    [Fact]
    public void Suffixes_labels_namespace_and_images_apply_in_kustomizes_order()
    {
        Write("app/deployment.yaml", Deployment);
        Write("app/kustomization.yaml", """
            resources: [deployment.yaml]
            nameSuffix: -one
            labels:
              - pairs: {platform: one}
                includeSelectors: true
            patches:
              - target: {kind: Deployment, name: web}
                patch: |-
                  - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: C, value: "3"}}
            """);
        Write("kustomization.yaml", """
            namespace: ns
            resources: [app]
            labels:
              - pairs: {part-of: jobs}
            images:
              - {name: jobs/web, newName: registry.example.com/jobs/web, newTag: "1.0"}
            """);
        var web = (JsonObject)Assert.Single(Kustomize.Build(_folder));
        Assert.Equal(("web-one", "ns"), (Kustomize.Name(web), web["metadata"]!["namespace"].Str()));
        Assert.Equal("one", web["spec"]!["selector"]!["matchLabels"]!["platform"].Str());
        Assert.Equal("one", web["spec"]!["template"]!["metadata"]!["labels"]!["platform"].Str());
        Assert.Null(web["spec"]!["selector"]!["matchLabels"]!["part-of"]);
        Assert.Equal("jobs", web["metadata"]!["labels"]!["part-of"].Str());
        var containers = Kustomize.PodContainers(web).ToList();
        Assert.Equal(["registry.example.com/jobs/web:1.0", "jobs/side:dev"], containers.Select(c => c["image"].Str()));
        Assert.Equal(["A", "C"], containers[0]["env"]!.AsArray().Select(e => e!["name"].Str()));
    }

    [Fact]
    public void Plain_scalars_are_typed_as_Kubernetes_reads_them_and_quoted_ones_stay_strings()
    {
        var o = Yaml.Document("a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: 1.5\nf: text\ng:\n");
        Assert.Equal(1L, o["a"]!.GetValue<long>());
        Assert.Equal("1", o["b"].Str());
        Assert.True(o["c"]!.GetValue<bool>());
        Assert.Equal("true", o["d"].Str());
        Assert.Equal(1.5, o["e"]!.GetValue<double>());
        Assert.Equal("text", o["f"].Str());
        Assert.Null(o["g"]);
    }
}

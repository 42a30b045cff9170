using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;

namespace Jobs.Integrations.Tests;

public enum Region
{
    EuWest,
    UsEast,
}

/// <summary>Every kind of setting the schema generator knows, for the schema and validator tests.</summary>
public sealed class RichSettings
{
    [Required]
    [Description("The account to collect")]
    public string Account { get; set; } = "";

    [Secret]
    public string? ApiToken { get; set; }

    public Region Region { get; set; } = Region.UsEast;

    public string[] Tags { get; set; } = ["a", "b"];

    public DateOnly Since { get; set; } = new(2024, 1, 31);

    [AllowedValues("fast", "slow")]
    public string Mode { get; set; } = "fast";

    [JsonPropertyName("page-size")]
    [Range(1, 500)]
    public long PageSize { get; set; } = 50;

    public Uri? Endpoint { get; set; }

    public Dictionary<string, string>? Extra { get; set; }

    [JsonIgnore]
    public int Ignored { get; set; }

    public int Computed => PageSize > 0 ? 1 : 0;
}

public sealed class SettingsSchemaTests
{
    private static SettingDescriptor Find(IReadOnlyList<SettingDescriptor> schema, string name) =>
        Assert.Single(schema, s => s.Name == name);

    [Fact]
    public void When_describing_synthetic_settings_Should_list_the_snake_case_names_in_declaration_order()
    {
        var schema = SettingsSchema.For<SyntheticSettings>();

        Assert.Equal(["children", "grandchildren", "work_ms", "fail_ratio", "continuation", "note", "api_token"], schema.Select(s => s.Name));
        Assert.All(schema, s => Assert.False(s.Required));
        Assert.Equal(["api_token"], schema.Where(s => s.Secret).Select(s => s.Name));
        Assert.All(schema, s => Assert.Null(s.AllowedValues));
        Assert.All(schema, s => Assert.False(string.IsNullOrWhiteSpace(s.Description)));
    }

    [Theory]
    [InlineData("children", "integer", "3", 0, 1_000_000)]
    [InlineData("grandchildren", "integer", "0", 0, 10_000)]
    [InlineData("work_ms", "integer", "0", 0, 3_600_000)]
    [InlineData("fail_ratio", "number", "0", 0, 1)]
    public void When_describing_a_synthetic_numeric_setting_Should_carry_its_type_default_and_range(
        string name, string type, string defaultJson, double minimum, double maximum)
    {
        var setting = Find(SettingsSchema.For<SyntheticSettings>(), name);

        Assert.Equal(type, setting.Type);
        Assert.NotNull(setting.Default);
        Assert.Equal(defaultJson, setting.Default.Value.GetRawText());
        Assert.Equal(minimum, setting.Minimum);
        Assert.Equal(maximum, setting.Maximum);
    }

    [Fact]
    public void When_describing_the_synthetic_continuation_flag_Should_be_a_boolean_defaulting_to_false_without_range()
    {
        var setting = Find(SettingsSchema.For<SyntheticSettings>(), "continuation");

        Assert.Equal("boolean", setting.Type);
        Assert.Equal(JsonValueKind.False, setting.Default?.ValueKind);
        Assert.Null(setting.Minimum);
        Assert.Null(setting.Maximum);
    }

    [Fact]
    public void When_a_property_is_marked_required_Should_be_required_without_default()
    {
        var account = Find(SettingsSchema.For<RichSettings>(), "account");

        Assert.True(account.Required);
        Assert.Null(account.Default);
        Assert.Equal("string", account.Type);
        Assert.Equal("The account to collect", account.Description);
    }

    [Fact]
    public void When_a_property_is_marked_secret_Should_be_flagged_secret_and_only_it()
    {
        var schema = SettingsSchema.For<RichSettings>();

        Assert.Equal(["api_token"], schema.Where(s => s.Secret).Select(s => s.Name));
        Assert.Null(Find(schema, "api_token").Default);
    }

    [Fact]
    public void When_a_property_is_an_enum_Should_be_a_string_with_snake_case_allowed_values_and_default()
    {
        var region = Find(SettingsSchema.For<RichSettings>(), "region");

        Assert.Equal("string", region.Type);
        Assert.Equal(["eu_west", "us_east"], region.AllowedValues!);
        Assert.Equal("\"us_east\"", region.Default?.GetRawText());
    }

    [Fact]
    public void When_a_property_has_allowed_values_Should_list_them()
    {
        var mode = Find(SettingsSchema.For<RichSettings>(), "mode");

        Assert.Equal("string", mode.Type);
        Assert.Equal(["fast", "slow"], mode.AllowedValues!);
    }

    [Fact]
    public void When_a_property_is_a_string_array_Should_be_typed_string_array_with_its_default()
    {
        var tags = Find(SettingsSchema.For<RichSettings>(), "tags");

        Assert.Equal("string[]", tags.Type);
        Assert.Equal("[\"a\",\"b\"]", tags.Default?.GetRawText());
    }

    [Fact]
    public void When_a_property_is_a_date_only_Should_be_typed_date_with_an_iso_default()
    {
        var since = Find(SettingsSchema.For<RichSettings>(), "since");

        Assert.Equal("date", since.Type);
        Assert.Equal("\"2024-01-31\"", since.Default?.GetRawText());
    }

    [Fact]
    public void When_other_property_shapes_are_declared_Should_honour_names_ignores_and_types()
    {
        var schema = SettingsSchema.For<RichSettings>();

        Assert.Equal(
            ["account", "api_token", "region", "tags", "since", "mode", "page-size", "endpoint", "extra"],
            schema.Select(s => s.Name));
        var pageSize = Find(schema, "page-size");
        Assert.Equal("integer", pageSize.Type);
        Assert.Equal(1, pageSize.Minimum);
        Assert.Equal(500, pageSize.Maximum);
        Assert.Equal("string", Find(schema, "endpoint").Type);
        Assert.Equal("object", Find(schema, "extra").Type);
    }

    [Fact]
    public void When_the_schema_is_published_as_json_Should_round_trip_unchanged()
    {
        var descriptor = new PlatformDescriptor("rich", "Rich", "All kinds", SettingsSchema.For<RichSettings>());
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var back = JsonSerializer.Deserialize<PlatformDescriptor>(JsonSerializer.Serialize(descriptor, options), options)!;

        Assert.Equal(JsonSerializer.Serialize(descriptor, options), JsonSerializer.Serialize(back, options));
        Assert.Equal(descriptor.Settings.Count, back.Settings.Count);
    }
}

using System.Text.Json;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;

namespace Jobs.Integrations.Tests;

public sealed class SettingsValidatorTests
{
    private static readonly IReadOnlyList<SettingDescriptor> Synthetic = SettingsSchema.For<SyntheticSettings>();
    private static readonly IReadOnlyList<SettingDescriptor> Rich = SettingsSchema.For<RichSettings>();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void When_no_settings_are_given_Should_fill_every_default()
    {
        var result = SettingsValidator.Validate(Synthetic, null);

        Assert.True(result.IsValid);
        Assert.Empty(result.Errors);
        var settings = result.Settings.Deserialize<SyntheticSettings>(SettingsJson.Options)!;
        Assert.Equal(3, settings.Children);
        Assert.Equal(0, settings.Grandchildren);
        Assert.Equal(0, settings.WorkMs);
        Assert.Equal(0, settings.FailRatio);
        Assert.False(settings.Continuation);
        Assert.Equal(
            ["children", "grandchildren", "work_ms", "fail_ratio", "continuation"],
            result.Settings.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void When_some_settings_are_given_Should_keep_them_and_fill_the_rest_with_defaults()
    {
        var result = SettingsValidator.Validate(Synthetic, Json("""{"children": 7, "continuation": true, "work_ms": null}"""));

        Assert.True(result.IsValid);
        Assert.Equal(7, result.Settings.GetProperty("children").GetInt32());
        Assert.True(result.Settings.GetProperty("continuation").GetBoolean());
        Assert.Equal(0, result.Settings.GetProperty("work_ms").GetInt32());
        Assert.Equal(0, result.Settings.GetProperty("grandchildren").GetInt32());
        Assert.Equal(0, result.Settings.GetProperty("fail_ratio").GetDouble());
    }

    [Fact]
    public void When_every_setting_is_valid_Should_pass_them_through_unchanged()
    {
        var result = SettingsValidator.Validate(Synthetic,
            Json("""{"children": 1000000, "grandchildren": 0, "work_ms": 3600000, "fail_ratio": 0.25, "continuation": false}"""));

        Assert.True(result.IsValid);
        var settings = result.Settings.Deserialize<SyntheticSettings>(SettingsJson.Options)!;
        Assert.Equal(1_000_000, settings.Children);
        Assert.Equal(3_600_000, settings.WorkMs);
        Assert.Equal(0.25, settings.FailRatio);
    }

    [Fact]
    public void When_several_settings_are_invalid_Should_report_every_one_at_once()
    {
        var result = SettingsValidator.Validate(Synthetic, Json("""
            {"children": "x", "grandchildren": -1, "work_ms": 3600001, "fail_ratio": 1.5, "continuation": "yes", "colour": "red"}
            """));

        Assert.False(result.IsValid);
        Assert.Equal(
            ["children", "colour", "continuation", "fail_ratio", "grandchildren", "work_ms"],
            result.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["must be a whole number"], result.Errors["children"]);
        Assert.Equal(["must be at least 0"], result.Errors["grandchildren"]);
        Assert.Equal(["must be at most 3600000"], result.Errors["work_ms"]);
        Assert.Equal(["must be at most 1"], result.Errors["fail_ratio"]);
        Assert.Equal(["must be true or false"], result.Errors["continuation"]);
        Assert.Contains("unknown setting", Assert.Single(result.Errors["colour"]));
        Assert.Contains("work_ms", Assert.Single(result.Errors["colour"]));
    }

    [Fact]
    public void When_an_integer_setting_has_a_fraction_Should_reject_it_as_not_whole()
    {
        var result = SettingsValidator.Validate(Synthetic, Json("""{"children": 2.5}"""));

        Assert.Equal(["must be a whole number"], result.Errors["children"]);
    }

    [Theory]
    [InlineData("[1, 2]", "array")]
    [InlineData("\"children=3\"", "string")]
    [InlineData("42", "number")]
    public void When_settings_are_not_an_object_Should_report_it_under_settings(string json, string kind)
    {
        var result = SettingsValidator.Validate(Synthetic, Json(json));

        Assert.False(result.IsValid);
        Assert.Equal($"must be a JSON object, not {kind}", Assert.Single(Assert.Single(result.Errors).Value));
        Assert.Equal("settings", Assert.Single(result.Errors).Key);
    }

    [Fact]
    public void When_a_required_setting_is_missing_Should_report_it_required()
    {
        var result = SettingsValidator.Validate(Rich, Json("{}"));

        Assert.Equal("account", Assert.Single(result.Errors).Key);
        Assert.Equal(["is required"], result.Errors["account"]);
    }

    [Fact]
    public void When_a_required_setting_is_null_Should_report_it_required()
    {
        var result = SettingsValidator.Validate(Rich, Json("""{"account": null}"""));

        Assert.Equal(["is required"], result.Errors["account"]);
    }

    [Fact]
    public void When_rich_settings_have_wrong_values_Should_report_enum_date_array_and_range_problems()
    {
        var result = SettingsValidator.Validate(Rich, Json("""
            {"account": 12, "region": "mars", "since": "31.01.2024", "tags": ["a", 1], "mode": "medium", "page-size": 0}
            """));

        Assert.Equal(["must be a string"], result.Errors["account"]);
        Assert.Equal(["must be one of: eu_west, us_east"], result.Errors["region"]);
        Assert.Equal(["must be a date: yyyy-MM-dd, today, yesterday, or 'N days back' / 'N days ago'"], result.Errors["since"]);
        Assert.Equal(["must be an array of strings"], result.Errors["tags"]);
        Assert.Equal(["must be one of: fast, slow"], result.Errors["mode"]);
        Assert.Equal(["must be at least 1"], result.Errors["page-size"]);
        Assert.Equal(6, result.Errors.Count);
    }

    [Fact]
    public void When_rich_settings_are_valid_Should_fill_defaults_and_keep_the_secret_value()
    {
        var result = SettingsValidator.Validate(Rich, Json("""
            {"account": "acme", "api_token": "s3cr3t", "region": "eu_west", "since": "2025-02-28", "extra": {"k": "v"}}
            """));

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        var settings = result.Settings.Deserialize<RichSettings>(SettingsJson.Options)!;
        Assert.Equal("acme", settings.Account);
        Assert.Equal("s3cr3t", settings.ApiToken);
        Assert.Equal(Region.EuWest, settings.Region);
        Assert.Equal(new DateOnly(2025, 2, 28), settings.Since);
        Assert.Equal(["a", "b"], settings.Tags);
        Assert.Equal("fast", settings.Mode);
        Assert.Equal(50, settings.PageSize);
        Assert.Equal("v", settings.Extra!["k"]);
        Assert.False(result.Settings.TryGetProperty("endpoint", out _));
    }
}

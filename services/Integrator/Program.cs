using Jobs.Integrator;
using Jobs.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("integrator").AddIntegratorServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

using Jobs.Scheduler;
using Jobs.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("scheduler").AddSchedulerServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

# The two promises: `make run` (install and start everything, run a demo job) and `make test`.
SHELL := /bin/bash
export MSBUILDDISABLENODEREUSE := 1
export DOTNET_CLI_USE_MSBUILD_SERVER := 0
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: run stop infra infra-stop build test test-faults test-cluster test-cluster-node-kill test-redis-cluster cluster-up cluster-down bench demo clean

run: infra
	bash infra/services.sh start
	bash infra/demo.sh

stop:
	bash infra/services.sh stop

infra:
	bash infra/install.sh
	bash infra/start.sh

infra-stop: stop
	bash infra/stop.sh

build:
	dotnet build Microservices.sln -c Release -nologo -v quiet -p:UseSharedCompilation=false

test:
	bash infra/test.sh

# Only the fault suite (RabbitMQ, Redis and PostgreSQL taken down and up again under running services); make test runs it last.
test-faults:
	FAULTS=only bash infra/test.sh

# Only the cluster cases (a three-node RabbitMQ cluster with quorum queues, a node killed mid-job); make test runs them last.
test-cluster: infra
	CLUSTER=only bash infra/test.sh

# Only the RabbitMQ node-kill case (a 10,000-child job while the node the services are connected to is killed -9).
test-cluster-node-kill: infra
	CLUSTER=only CLUSTER_FILTER="&FullyQualifiedName~kill_9_of_the_node" bash infra/test.sh

# Only the end-to-end job tests against a Redis Cluster of three primaries (infra/redis-cluster.sh, ports 6401-6403); make test runs them last.
test-redis-cluster: infra
	REDIS_CLUSTER=only bash infra/test.sh

# A three-node RabbitMQ cluster on loopback (AMQP 5681-5683, management 15681-15683) beside the one-node broker;
# `bash infra/cluster.sh env` prints the settings that point the services at it.
cluster-up: infra
	bash infra/cluster.sh up

cluster-down:
	bash infra/cluster.sh down

# BENCH_ARGS="--children 1000,10000,100000 --latency-runs 100" for more.
bench: infra
	source infra/env.sh && dotnet build bench/Bench/Bench.csproj -c Release -nologo -v quiet -p:UseSharedCompilation=false && \
	  dotnet bench/Bench/bin/Release/net10.0/Bench.dll $(BENCH_ARGS)

demo:
	bash infra/demo.sh

clean:
	dotnet clean Microservices.sln -nologo -v quiet
	rm -rf .run

"""Runs docker-py's exec API against the daemon at DOCKER_HOST and prints
one JSON object with what it observed, for the e2e test to check."""

import json
import os

import docker


def main():
    client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="1.41")
    container = client.containers.get("demo")
    plain = container.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True)
    user = container.exec_run(["id", "-u"], user="alice")
    env = container.exec_run(["sh", "-c", "echo $GREETING"], environment={"GREETING": "hello"})
    workdir = container.exec_run(["pwd"], workdir="/tmp")
    print(
        json.dumps(
            {
                "plain": {
                    "exit_code": plain.exit_code,
                    "stdout": plain.output[0].decode(),
                    "stderr": plain.output[1].decode(),
                },
                "user": user.output.decode(),
                "env": env.output.decode(),
                "workdir": workdir.output.decode(),
                "ping": client.ping(),
            }
        )
    )


if __name__ == "__main__":
    main()

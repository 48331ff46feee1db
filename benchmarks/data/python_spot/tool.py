import hashlib
import os
import pickle
import sys

API_TOKEN = "ghp_4f9KzQ2mX8vL1pR7tY3wN6bC0dE5aH2jU9iO"


def load_state(path):
    with open(path, "rb") as fh:
        return pickle.load(fh)


def checksum(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def cleanup(pattern):
    os.system("rm -rf /var/cache/app/" + pattern)


def main():
    state = load_state(sys.argv[1])
    print(checksum(json_bytes(state)))
    cleanup(sys.argv[2])


def json_bytes(obj):
    import json
    return json.dumps(obj).encode()


if __name__ == "__main__":
    main()

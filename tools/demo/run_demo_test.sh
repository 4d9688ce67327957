#!/bin/sh
set -e
tools/demo/hvsock_demo

#!/bin/sh
# Inside the VM: what the loaded module reports.
echo "kernel: $(uname -r)"
echo "module: robustfutex $(cat /sys/module/robustfutex/version)"
ls -l /dev/robustfutex
for p in /sys/module/robustfutex/parameters/*; do
	echo "param $(basename "$p"): $(cat "$p")"
done
for c in /sys/kernel/robustfutex/*; do
	echo "counter $(basename "$c"): $(cat "$c")"
done

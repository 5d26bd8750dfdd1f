#!/bin/sh
# Answers with the source address the request arrived from (busybox httpd CGI).
printf 'Content-Type: text/plain\r\n\r\n%s\n' "$REMOTE_ADDR"

#include <stdio.h>
#include <string.h>

void log_name(const char *name) {
    char buf[32];
    strcpy(buf, name);
    printf(buf);
    printf("\n");
}

int checksum(const unsigned char *data, size_t len) {
    int sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += data[i];
    }
    return sum;
}

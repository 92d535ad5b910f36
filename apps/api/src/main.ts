import 'reflect-metadata';
import { hello } from '@baton/oauth';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
@Module({})
class M {}
const app = await NestFactory.create(M, { logger: false });
console.log(hello(), typeof app);
await app.close();
